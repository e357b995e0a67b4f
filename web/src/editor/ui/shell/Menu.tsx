/**
 * A menu button (WAI-ARIA's menu button pattern): a button with `aria-haspopup="menu"` opens a
 * `menu` whose `menuitem`s the arrow keys move through (Home and End too); Enter or a click
 * chooses one, Esc closes the menu and gives the focus back to the button, Tab and a click
 * elsewhere close it. A disabled item stays focusable and says so (`aria-disabled`), so a
 * keyboard user learns it exists.
 */

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface MenuItem {
  readonly label: string;
  readonly disabled?: boolean;
  /** Why it is disabled, as its description. */
  readonly hint?: string;
  readonly onSelect: () => void;
}

export interface MenuButtonProps {
  /** The button's accessible name. */
  readonly label: string;
  /** What the button shows (an icon); the label is its name. */
  readonly children: ComponentChildren;
  readonly items: readonly MenuItem[];
  readonly class?: string;
}

export function MenuButton({ label, children, items, class: extra }: MenuButtonProps) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();

  const itemEls = (): HTMLElement[] => [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  const focusItem = (i: number): void => {
    const els = itemEls();
    if (els.length === 0) return;
    els[((i % els.length) + els.length) % els.length]?.focus();
  };
  const close = (refocus: boolean): void => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  // Focus moves in the same task as the render, so a key pressed right after the one that
  // opened the menu already lands on its items.
  useLayoutEffect(() => {
    if (open) focusItem(0);
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent): void => {
      const t = e.target as Node | null;
      if (t && !menu.current?.contains(t) && !button.current?.contains(t)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown, true);
    return () => document.removeEventListener('pointerdown', onDown, true);
  }, [open]);

  const onMenuKey = (e: KeyboardEvent): void => {
    const els = itemEls();
    const at = els.indexOf(document.activeElement as HTMLElement);
    const keys: Record<string, () => void> = {
      ArrowDown: () => focusItem(at + 1),
      ArrowUp: () => focusItem(at - 1),
      Home: () => focusItem(0),
      End: () => focusItem(els.length - 1),
      Escape: () => close(true),
      Tab: () => close(false),
    };
    const act = keys[e.key];
    if (!act) return;
    // The editor's shortcuts must not see keys the menu used.
    e.stopPropagation();
    if (e.key !== 'Tab') e.preventDefault();
    act();
  };

  const choose = (item: MenuItem): void => {
    if (item.disabled) return;
    close(true);
    item.onSelect();
  };

  return (
    <div class={`ed-menu-wrap${extra ? ` ${extra}` : ''}`}>
      <button
        ref={button}
        type="button"
        class="ed-icon-btn"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            e.stopPropagation();
            setOpen(true);
          }
        }}
      >
        {children}
      </button>
      {open && (
        <div ref={menu} id={menuId} role="menu" aria-label={label} class="ed-menu" onKeyDown={onMenuKey}>
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              class="ed-menu-item"
              aria-disabled={item.disabled ? 'true' : undefined}
              title={item.disabled ? item.hint : undefined}
              onClick={() => choose(item)}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
