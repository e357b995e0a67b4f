/**
 * A JSON value (an object or an array) as a collapsible tree, by the WAI-ARIA tree pattern:
 * `role="tree"`, one `treeitem` per member with `aria-expanded` on objects and arrays, and one
 * item in the tab order (roving tabindex). Up and Down move through the visible items; Right
 * expands, or moves into an expanded item; Left collapses, or moves to the parent; Home and
 * End go to the ends; Enter and Space toggle.
 *
 * Only what is expanded is rendered, and a level shows its first 100 members with a "Show
 * more" item for the next ones, so a response of megabytes stays quick to open.
 */

import { useLayoutEffect, useRef, useState } from 'preact/hooks';

const PAGE = 100;

type Entry = readonly [key: string, value: unknown];

/** One visible item, in the order the tree shows them. */
type Row =
  | { readonly kind: 'node'; readonly path: string; readonly parent: string | null; readonly key: string; readonly value: unknown }
  | { readonly kind: 'more'; readonly path: string; readonly parent: string | null; readonly of: string; readonly shown: number; readonly total: number };

interface View {
  /** The value this state is of: a new value starts afresh. */
  readonly of: unknown;
  readonly expanded: ReadonlySet<string>;
  /** How many members a level shows, when more than the first page. */
  readonly shown: ReadonlyMap<string, number>;
  /** The item in the tab order. */
  readonly active: string | null;
}

function isContainer(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

/** An object or array with at least one member: one that can be expanded. */
function hasMembers(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (!isContainer(v)) return false;
  for (const _ in v) return true;
  return false;
}

function entriesOf(v: unknown): Entry[] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x] as const);
  return isContainer(v) ? Object.entries(v) : [];
}

/** A member's path: its parent's, `/`, and its key (`~` and `/` escaped as in JSON Pointer). */
function childPath(parent: string, key: string): string {
  return `${parent}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function limitOf(view: View, path: string): number {
  return view.shown.get(path) ?? PAGE;
}

/** The visible items in order: the members of every expanded level, up to its limit. */
function visibleRows(value: unknown, view: View): Row[] {
  const rows: Row[] = [];
  const walk = (v: unknown, path: string): void => {
    const entries = entriesOf(v);
    const limit = limitOf(view, path);
    const parent = path === '' ? null : path;
    for (const [key, child] of entries.slice(0, limit)) {
      const p = childPath(path, key);
      rows.push({ kind: 'node', path: p, parent, key, value: child });
      if (isContainer(child) && view.expanded.has(p)) walk(child, p);
    }
    if (entries.length > limit) rows.push({ kind: 'more', path: `${path}#more`, parent, of: path, shown: limit, total: entries.length });
  };
  walk(value, '');
  return rows;
}

/** What an item says: `key: value`, a level as its size. */
export function preview(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[…] ${value.length} ${value.length === 1 ? 'item' : 'items'}`;
  if (isContainer(value)) {
    const n = Object.keys(value).length;
    return n === 0 ? '{}' : `{…} ${n} ${n === 1 ? 'key' : 'keys'}`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function typeClass(value: unknown): string {
  if (value === null) return 'ed-json-null';
  if (isContainer(value)) return 'ed-json-level';
  return `ed-json-${typeof value}`;
}

function moreLabel(shown: number, total: number): string {
  return `Show more (${shown} of ${total} shown)`;
}

export function JsonTree(props: { value: unknown; label: string }) {
  const fresh = (): View => ({ of: props.value, expanded: new Set(), shown: new Map(), active: null });
  const [stored, setView] = useState<View>(fresh);
  const view = stored.of === props.value ? stored : fresh();
  const treeRef = useRef<HTMLUListElement>(null);
  const moveFocus = useRef(false);

  const rows = visibleRows(props.value, view);
  const active = rows.some((r) => r.path === view.active) ? view.active : (rows[0]?.path ?? null);

  // In the render's own task, so the next key goes to the item just focused.
  useLayoutEffect(() => {
    if (!moveFocus.current) return;
    moveFocus.current = false;
    const items = treeRef.current?.querySelectorAll<HTMLElement>('[role="treeitem"]') ?? [];
    for (const el of items) if (el.dataset.path === active) el.focus();
  });

  const update = (next: Partial<View>, focus = true): void => {
    moveFocus.current = focus;
    setView({ ...view, ...next });
  };
  const toggle = (path: string): void => {
    const expanded = new Set(view.expanded);
    if (!expanded.delete(path)) expanded.add(path);
    update({ expanded, active: path });
  };
  const showMore = (row: Extract<Row, { kind: 'more' }>): void => {
    const shown = new Map(view.shown);
    shown.set(row.of, row.shown + PAGE);
    // The first member just shown takes the place of the "Show more" item.
    const first = entriesOf(valueAt(props.value, rows, row.of))[row.shown];
    update({ shown, active: first ? childPath(row.of, first[0]) : row.path });
  };
  const activate = (row: Row): void => {
    if (row.kind === 'more') showMore(row);
    else if (hasMembers(row.value)) toggle(row.path);
    else update({ active: row.path });
  };

  // The item the key is pressed on (focus may have come by a click or a screen reader).
  const pathOf = (target: EventTarget | null): string | null =>
    target instanceof HTMLElement ? (target.closest<HTMLElement>('[role="treeitem"]')?.dataset.path ?? null) : null;

  const onKeyDown = (e: KeyboardEvent): void => {
    const current = pathOf(e.target) ?? active;
    const at = rows.findIndex((r) => r.path === current);
    const row = rows[at];
    if (!row) return;
    const go = (to: Row | undefined): void => {
      if (to) update({ active: to.path });
    };
    const expandable = row.kind === 'node' && hasMembers(row.value);
    const open = expandable && view.expanded.has(row.path);
    switch (e.key) {
      case 'ArrowDown':
        go(rows[at + 1]);
        break;
      case 'ArrowUp':
        go(rows[at - 1]);
        break;
      case 'Home':
        go(rows[0]);
        break;
      case 'End':
        go(rows[rows.length - 1]);
        break;
      case 'ArrowRight':
        if (open) go(rows[at + 1]);
        else if (expandable) toggle(row.path);
        break;
      case 'ArrowLeft':
        if (open) toggle(row.path);
        else go(rows.find((r) => r.path === row.parent));
        break;
      case 'Enter':
      case ' ':
        activate(row);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const renderLevel = (value: unknown, path: string): preact.JSX.Element[] => {
    const entries = entriesOf(value);
    const limit = limitOf(view, path);
    const items = entries.slice(0, limit).map(([key, child]) => {
      const p = childPath(path, key);
      const expandable = hasMembers(child);
      const open = expandable && view.expanded.has(p);
      const text = `${key}: ${preview(child)}`;
      return (
        <li
          key={p}
          role="treeitem"
          data-path={p}
          aria-label={text}
          aria-expanded={expandable ? open : undefined}
          tabIndex={p === active ? 0 : -1}
          class="ed-json-item"
        >
          <span
            class="ed-json-row"
            onClick={(e) => {
              e.stopPropagation();
              if (expandable) toggle(p);
              else update({ active: p });
            }}
          >
            <span class="ed-json-twisty" aria-hidden="true">
              {expandable ? (open ? '▾' : '▸') : ''}
            </span>
            <span class="ed-json-key">{key}</span>
            <span aria-hidden="true">: </span>
            <span class={typeClass(child)}>{preview(child)}</span>
          </span>
          {open && (
            <ul role="group" class="ed-json-group">
              {renderLevel(child, p)}
            </ul>
          )}
        </li>
      );
    });
    if (entries.length > limit) {
      const more = `${path}#more`;
      const row = rows.find((r): r is Extract<Row, { kind: 'more' }> => r.kind === 'more' && r.path === more);
      items.push(
        <li
          key={more}
          role="treeitem"
          data-path={more}
          tabIndex={more === active ? 0 : -1}
          class="ed-json-item ed-json-more"
          onClick={(e) => {
            e.stopPropagation();
            if (row) showMore(row);
          }}
        >
          {moreLabel(limit, entries.length)}
        </li>,
      );
    }
    return items;
  };

  return (
    <ul
      ref={treeRef}
      role="tree"
      aria-label={props.label}
      class="ed-json-tree"
      onKeyDown={onKeyDown}
      onFocusIn={(e) => {
        // Tab comes back to the item last focused.
        const path = pathOf(e.target);
        if (path !== null && path !== view.active) update({ active: path }, false);
      }}
    >
      {renderLevel(props.value, '')}
    </ul>
  );
}

/** The value of the visible level at `path` ('' is the root). */
function valueAt(root: unknown, rows: readonly Row[], path: string): unknown {
  if (path === '') return root;
  const row = rows.find((r) => r.kind === 'node' && r.path === path);
  return row?.kind === 'node' ? row.value : undefined;
}
