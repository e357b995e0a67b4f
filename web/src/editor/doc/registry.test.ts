import { describe, expect, it } from 'vitest';
import { CommandRegistry, formatShortcut, matchesShortcut } from './registry.ts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

function registry(mac: boolean) {
  const ran: string[] = [];
  const r = new CommandRegistry<{ canUndo: boolean }>({ mac });
  r.register({ id: 'undo', label: 'Undo', shortcut: 'Mod+Z', run: () => ran.push('undo'), isEnabled: (c) => c.canUndo });
  r.register({ id: 'redo', label: 'Redo', shortcut: 'Shift+Mod+Z', moreShortcuts: ['Mod+Y'], run: () => ran.push('redo') });
  r.register({ id: 'delete', label: 'Delete', shortcut: 'Delete', moreShortcuts: ['Backspace'], run: () => ran.push('delete') });
  r.register({ id: 'up', label: 'Move up', shortcut: 'ArrowUp', run: () => ran.push('up') });
  r.register({ id: 'menu', label: 'No shortcut', run: () => ran.push('menu') });
  return { r, ran };
}

describe('CommandRegistry', () => {
  it('matches Mod to Ctrl elsewhere and to Command on a Mac', () => {
    const pc = registry(false).r;
    expect(pc.matchKey(key('z', { ctrlKey: true }))?.id).toBe('undo');
    expect(pc.matchKey(key('z', { metaKey: true }))).toBeUndefined();
    expect(pc.matchKey(key('Z', { ctrlKey: true, shiftKey: true }))?.id).toBe('redo');
    expect(pc.matchKey(key('y', { ctrlKey: true }))?.id).toBe('redo');
    const mac = registry(true).r;
    expect(mac.matchKey(key('z', { metaKey: true }))?.id).toBe('undo');
    expect(mac.matchKey(key('z', { ctrlKey: true }))).toBeUndefined();
  });

  it('needs the exact modifiers', () => {
    const { r } = registry(false);
    expect(r.matchKey(key('Delete'))?.id).toBe('delete');
    expect(r.matchKey(key('Backspace'))?.id).toBe('delete');
    expect(r.matchKey(key('ArrowUp'))?.id).toBe('up');
    expect(r.matchKey(key('ArrowUp', { shiftKey: true }))).toBeUndefined();
    expect(r.matchKey(key('z'))).toBeUndefined();
    expect(r.matchKey(key('z', { ctrlKey: true, altKey: true }))).toBeUndefined();
  });

  it('lists, finds and runs commands when enabled', () => {
    const { r, ran } = registry(false);
    expect(r.all().map((c) => c.id)).toEqual(['undo', 'redo', 'delete', 'up', 'menu']);
    expect(r.get('redo')?.label).toBe('Redo');
    expect(r.run('undo', { canUndo: false })).toBe(false);
    expect(r.run('undo', { canUndo: true })).toBe(true);
    expect(r.run('nope', { canUndo: true })).toBe(false);
    expect(ran).toEqual(['undo']);
  });

  it('refuses a second command with the same id or shortcut', () => {
    const { r } = registry(false);
    expect(() => r.register({ id: 'undo', label: 'x', run: () => undefined })).toThrowError(/registered twice/);
    expect(() => r.register({ id: 'other', label: 'x', shortcut: 'Mod+Z', run: () => undefined })).toThrowError(/already the shortcut of undo/);
    expect(() => r.register({ id: 'bad', label: 'x', shortcut: 'Hyper+Z', run: () => undefined })).toThrowError(/unknown modifier/);
  });

  it('labels shortcuts for the platform', () => {
    const pc = registry(false).r;
    const mac = registry(true).r;
    const redo = pc.get('redo')!;
    expect(pc.shortcutLabel(redo)).toBe('Ctrl+Shift+Z');
    expect(mac.shortcutLabel(redo)).toBe('⇧⌘Z');
    expect(pc.shortcutLabel('ArrowUp')).toBe('↑');
    expect(pc.shortcutLabel(pc.get('menu')!)).toBe('');
    expect(formatShortcut('Mod+Shift+Z', false)).toBe('Ctrl+Shift+Z');
    expect(matchesShortcut('Mod++', key('+', { ctrlKey: true }), false)).toBe(true);
  });
});
