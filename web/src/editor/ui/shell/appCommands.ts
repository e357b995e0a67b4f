/**
 * The app-level commands of the editor screen, registered once in the screen's registry:
 * undo and redo, the page commands of the pages panel's menus, publish, versions and preview.
 * The menus, the top bar's buttons and the keyboard shortcuts all run these, so a label, a
 * shortcut and an enabled state are written once. (The canvas registers the widget commands
 * next to these: `registerCanvasCommands`.)
 *
 * A page command acts on `state.menuPage` (the page whose menu chose it) or else the page on
 * the canvas. A command builder that refuses (the home page cannot be deleted, a name is taken)
 * throws a sentence, which the screen shows as a notice.
 */

import * as cmd from '../../doc/commands.ts';
import { findPage, uniquePageName } from '../../doc/query.ts';
import type { CommandRegistry } from '../../doc/registry.ts';
import type { EditorContext } from '../context.ts';
import type { ScreenState } from './screenState.ts';

export const COMMAND = {
  undo: 'undo',
  redo: 'redo',
  addPage: 'page.add',
  renamePage: 'page.rename',
  duplicatePage: 'page.duplicate',
  hidePage: 'page.hide',
  showPage: 'page.show',
  setHomePage: 'page.setHome',
  deletePage: 'page.delete',
  renameApp: 'app.rename',
  preview: 'app.preview',
  publish: 'app.publish',
  versions: 'app.versions',
} as const;

/** The page a page command acts on. */
export function targetPage(ctx: EditorContext, state: ScreenState): string {
  return state.menuPage.peek() ?? ctx.currentPage.peek();
}

export function registerAppCommands(registry: CommandRegistry<EditorContext>, state: ScreenState): void {
  const doc = (ctx: EditorContext) => ctx.session.doc.peek();
  const page = (ctx: EditorContext) => findPage(doc(ctx), targetPage(ctx, state));
  const notPreviewing = () => !state.previewing.peek();

  registry.register({
    id: COMMAND.undo,
    label: 'Undo',
    shortcut: 'Mod+Z',
    isEnabled: (ctx) => notPreviewing() && ctx.session.canUndo.value,
    run: (ctx) => ctx.session.undo(),
  });
  registry.register({
    id: COMMAND.redo,
    label: 'Redo',
    shortcut: 'Mod+Shift+Z',
    moreShortcuts: ['Mod+Y'],
    isEnabled: (ctx) => notPreviewing() && ctx.session.canRedo.value,
    run: (ctx) => ctx.session.redo(),
  });

  registry.register({
    id: COMMAND.addPage,
    label: 'Add page',
    isEnabled: notPreviewing,
    run: (ctx) => {
      const name = uniquePageName(doc(ctx));
      ctx.session.apply(cmd.addPage(doc(ctx), name));
      ctx.currentPage.value = name;
      ctx.selection.value = [];
      // A new page is named right away, as the peers do.
      state.renamingPage.value = name;
    },
  });
  registry.register({
    id: COMMAND.renamePage,
    label: 'Rename',
    isEnabled: (ctx) => notPreviewing() && page(ctx) !== undefined,
    run: (ctx) => {
      state.renamingPage.value = targetPage(ctx, state);
    },
  });
  registry.register({
    id: COMMAND.duplicatePage,
    label: 'Duplicate',
    isEnabled: (ctx) => notPreviewing() && page(ctx) !== undefined,
    run: (ctx) => {
      const before = new Set(doc(ctx).pages.map((p) => p.name));
      ctx.session.apply(cmd.duplicatePage(doc(ctx), targetPage(ctx, state)));
      const copy = doc(ctx).pages.find((p) => !before.has(p.name));
      if (copy) {
        ctx.currentPage.value = copy.name;
        ctx.selection.value = [];
      }
    },
  });
  registry.register({
    id: COMMAND.hidePage,
    label: 'Hide',
    isEnabled: (ctx) => notPreviewing() && page(ctx)?.hidden === false,
    run: (ctx) => ctx.session.apply(cmd.setPageHidden(doc(ctx), targetPage(ctx, state), true)),
  });
  registry.register({
    id: COMMAND.showPage,
    label: 'Show',
    isEnabled: (ctx) => notPreviewing() && page(ctx)?.hidden === true,
    run: (ctx) => ctx.session.apply(cmd.setPageHidden(doc(ctx), targetPage(ctx, state), false)),
  });
  registry.register({
    id: COMMAND.setHomePage,
    label: 'Set as home page',
    isEnabled: (ctx) => notPreviewing() && page(ctx) !== undefined && doc(ctx).homePage !== targetPage(ctx, state),
    run: (ctx) => ctx.session.apply(cmd.setHomePage(doc(ctx), targetPage(ctx, state))),
  });
  registry.register({
    id: COMMAND.deletePage,
    label: 'Delete',
    isEnabled: (ctx) => notPreviewing() && page(ctx) !== undefined,
    run: (ctx) => {
      const name = targetPage(ctx, state);
      // Built once only to hear a refusal (the home page, the last page) before asking.
      cmd.deletePage(doc(ctx), name);
      state.deletingPage.value = name;
    },
  });

  registry.register({
    id: COMMAND.renameApp,
    label: 'Rename app',
    isEnabled: notPreviewing,
    run: () => {
      state.renamingApp.value = true;
    },
  });
  registry.register({
    id: COMMAND.preview,
    label: 'Preview',
    isEnabled: notPreviewing,
    run: () => {
      state.previewing.value = true;
    },
  });
  registry.register({
    id: COMMAND.publish,
    label: 'Publish',
    isEnabled: notPreviewing,
    run: () => {
      state.publishing.value = true;
    },
  });
  registry.register({
    id: COMMAND.versions,
    label: 'Versions',
    isEnabled: notPreviewing,
    run: () => {
      state.showingVersions.value = true;
    },
  });
}

/** Applies the confirmed deletion of a page and shows another one if it was on the canvas. */
export function confirmDeletePage(ctx: EditorContext, name: string): void {
  ctx.session.apply(cmd.deletePage(ctx.session.doc.peek(), name));
  if (ctx.currentPage.peek() === name) {
    ctx.currentPage.value = ctx.session.doc.peek().homePage;
    ctx.selection.value = [];
  }
}

/**
 * Runs a registered command (for `page`, when given) if it is enabled; a refusal becomes a
 * notice. Returns whether it ran.
 */
export function runCommand(ctx: EditorContext, state: ScreenState, id: string, page?: string): boolean {
  const command = ctx.commands.get(id);
  if (!command) return false;
  state.menuPage.value = page ?? null;
  try {
    if (command.isEnabled && !command.isEnabled(ctx)) return false;
    const result: unknown = command.run(ctx);
    if (result instanceof Promise) result.catch((e: unknown) => ctx.notify(sentence(e)));
    return true;
  } catch (e) {
    ctx.notify(sentence(e));
    return false;
  } finally {
    state.menuPage.value = null;
  }
}

function sentence(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
