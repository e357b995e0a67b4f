/**
 * The command registry: every editor command is registered once, as data (id, label, shortcut,
 * what it does, when it is enabled), and menus, keyboard shortcuts and the undo buttons all
 * read it, so a command cannot have a shortcut that its menu item does not know about.
 *
 * The context is whatever the UI gives commands (the session, the selection…); the registry
 * does not know its shape.
 *
 * Shortcuts are written `Mod+Z`, `Shift+Mod+Z`, `Delete`, `ArrowUp`, `Shift+ArrowDown`: `+`
 * between modifiers (`Mod`, `Shift`, `Alt`, `Ctrl`, `Meta`) and one key, as `KeyboardEvent.key`
 * names it (letters in any case). `Mod` is Ctrl, or Command (Meta) on macOS.
 */

export interface CommandSpec<Ctx> {
  /** Stable, e.g. `edit.undo`; menus and tests refer to commands by it. */
  readonly id: string;
  /** What menus and buttons show, e.g. "Undo". */
  readonly label: string;
  readonly shortcut?: string;
  /** Further shortcuts (Backspace next to Delete, Mod+Y next to Shift+Mod+Z). Not shown. */
  readonly moreShortcuts?: readonly string[];
  run(ctx: Ctx): void;
  isEnabled?(ctx: Ctx): boolean;
}

/** The fields of a keyboard event that shortcuts look at. */
export interface KeyEventLike {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
}

interface ParsedShortcut {
  readonly key: string;
  readonly mod: boolean;
  readonly ctrl: boolean;
  readonly meta: boolean;
  readonly shift: boolean;
  readonly alt: boolean;
}

const MODIFIERS = new Set(['Mod', 'Shift', 'Alt', 'Ctrl', 'Meta']);

export function parseShortcut(shortcut: string): ParsedShortcut {
  // The key may itself be '+' ("Mod++"); split off the modifiers only.
  const parts = shortcut.split('+');
  let key = parts.pop() ?? '';
  if (key === '' && shortcut.endsWith('++')) {
    parts.pop();
    key = '+';
  }
  for (const m of parts) if (!MODIFIERS.has(m)) throw new Error(`unknown modifier ${m} in shortcut ${shortcut}`);
  return {
    key,
    mod: parts.includes('Mod'),
    ctrl: parts.includes('Ctrl'),
    meta: parts.includes('Meta'),
    shift: parts.includes('Shift'),
    alt: parts.includes('Alt'),
  };
}

/** Whether `event` is `shortcut` on a Mac (`mac`) or elsewhere. */
export function matchesShortcut(shortcut: string, event: KeyEventLike, mac: boolean): boolean {
  const s = parseShortcut(shortcut);
  const wantCtrl = s.ctrl || (s.mod && !mac);
  const wantMeta = s.meta || (s.mod && mac);
  if (event.ctrlKey !== wantCtrl || event.metaKey !== wantMeta) return false;
  if (event.shiftKey !== s.shift || event.altKey !== s.alt) return false;
  return event.key === s.key || (s.key.length === 1 && event.key.toLowerCase() === s.key.toLowerCase());
}

const KEY_SYMBOLS: Readonly<Record<string, string>> = {
  ArrowUp: '↑',
  ArrowDown: '↓',
  ArrowLeft: '←',
  ArrowRight: '→',
  Escape: 'Esc',
  Delete: 'Del',
};

/** A shortcut as menus show it: `⇧⌘Z` on a Mac, `Ctrl+Shift+Z` elsewhere. */
export function formatShortcut(shortcut: string, mac: boolean): string {
  const s = parseShortcut(shortcut);
  const key = KEY_SYMBOLS[s.key] ?? (s.key.length === 1 ? s.key.toUpperCase() : s.key);
  if (mac) {
    return `${s.ctrl ? '⌃' : ''}${s.alt ? '⌥' : ''}${s.shift ? '⇧' : ''}${s.mod || s.meta ? '⌘' : ''}${key}`;
  }
  const mods = [s.ctrl || s.mod ? 'Ctrl' : '', s.meta ? 'Meta' : '', s.alt ? 'Alt' : '', s.shift ? 'Shift' : ''].filter(Boolean);
  return [...mods, key].join('+');
}

export function isMacPlatform(): boolean {
  const nav = (globalThis as { navigator?: { platform?: string; userAgent?: string } }).navigator;
  return /Mac|iPhone|iPad/.test(nav?.platform ?? nav?.userAgent ?? '');
}

export class CommandRegistry<Ctx> {
  private readonly commands = new Map<string, CommandSpec<Ctx>>();
  readonly mac: boolean;

  constructor(options: { mac?: boolean } = {}) {
    this.mac = options.mac ?? isMacPlatform();
  }

  /** Adds a command; a second command with the same id or shortcut is a programming error. */
  register(spec: CommandSpec<Ctx>): CommandSpec<Ctx> {
    if (this.commands.has(spec.id)) throw new Error(`command ${spec.id} is registered twice`);
    for (const s of shortcutsOf(spec)) {
      parseShortcut(s);
      const other = [...this.commands.values()].find((c) => shortcutsOf(c).includes(s));
      if (other) throw new Error(`shortcut ${s} of ${spec.id} is already the shortcut of ${other.id}`);
    }
    this.commands.set(spec.id, spec);
    return spec;
  }

  get(id: string): CommandSpec<Ctx> | undefined {
    return this.commands.get(id);
  }

  /** Every command, in the order they were registered. */
  all(): CommandSpec<Ctx>[] {
    return [...this.commands.values()];
  }

  /** The command whose shortcut `event` is, if any (enabled or not: the caller asks). */
  matchKey(event: KeyEventLike): CommandSpec<Ctx> | undefined {
    for (const c of this.commands.values()) {
      if (shortcutsOf(c).some((s) => matchesShortcut(s, event, this.mac))) return c;
    }
    return undefined;
  }

  /** A command's main shortcut (or a shortcut string) as menus show it on this platform, or
   * "" when there is none. */
  shortcutLabel(spec: CommandSpec<Ctx> | string): string {
    const shortcut = typeof spec === 'string' ? spec : spec.shortcut;
    return shortcut ? formatShortcut(shortcut, this.mac) : '';
  }

  isEnabled(spec: CommandSpec<Ctx>, ctx: Ctx): boolean {
    return spec.isEnabled ? spec.isEnabled(ctx) : true;
  }

  /** Runs the command by id if it is enabled; returns whether it ran. */
  run(id: string, ctx: Ctx): boolean {
    const spec = this.commands.get(id);
    if (!spec || !this.isEnabled(spec, ctx)) return false;
    spec.run(ctx);
    return true;
  }
}

function shortcutsOf<Ctx>(spec: CommandSpec<Ctx>): string[] {
  return [...(spec.shortcut ? [spec.shortcut] : []), ...(spec.moreShortcuts ?? [])];
}

export function createRegistry<Ctx>(options: { mac?: boolean } = {}): CommandRegistry<Ctx> {
  return new CommandRegistry<Ctx>(options);
}
