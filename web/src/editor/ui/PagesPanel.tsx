/**
 * The pages panel: a region named "Pages" with the app's pages in a list, each item named after
 * its page. A page's button shows it on the canvas; the home page and hidden pages carry a mark
 * with an accessible name ("Home page", "Hidden"); "Page options for <Page>" opens the page's
 * menu (Rename, Duplicate, Hide or Show, Set as home page, Delete), whose items are the
 * registry's commands. Rename edits the name inline (Enter commits, Esc cancels); Delete asks
 * first.
 */

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import * as cmd from '../doc/commands.ts';
import { pageNameProblem } from '../doc/query.ts';
import { useComputed } from '@preact/signals';
import type { AppDoc } from '../doc/types.ts';
import { useEditor, type EditorContext } from './context.ts';
import { COMMAND, confirmDeletePage, runCommand } from './shell/appCommands.ts';
import { Confirm } from './shell/Dialog.tsx';
import { MenuButton, type MenuItem } from './shell/Menu.tsx';
import type { ScreenState } from './shell/screenState.ts';

/** What the panel shows of a page. */
interface PageEntry {
  readonly name: string;
  readonly hidden: boolean;
}

interface PagesView {
  readonly homePage: string;
  readonly pages: readonly PageEntry[];
}

function pagesView(doc: AppDoc): PagesView {
  return { homePage: doc.homePage, pages: doc.pages.map((p) => ({ name: p.name, hidden: p.hidden })) };
}

function sameView(a: PagesView, b: PagesView): boolean {
  return (
    a.homePage === b.homePage &&
    a.pages.length === b.pages.length &&
    a.pages.every((p, i) => p.name === b.pages[i]?.name && p.hidden === b.pages[i]?.hidden)
  );
}

export function PagesPanel({ screen }: { screen: ScreenState }) {
  const ctx = useEditor();
  // The same object while names, marks and order stay, so typing into a widget's property
  // (a new document at every keystroke) does not re-render the panel.
  const last = useRef<PagesView | null>(null);
  const view = useComputed(() => {
    const next = pagesView(ctx.session.doc.value);
    if (last.current && sameView(last.current, next)) return last.current;
    last.current = next;
    return next;
  });
  const doc = view.value;
  const current = ctx.currentPage.value;
  const renaming = screen.renamingPage.value;
  const deleting = screen.deletingPage.value;

  return (
    <section class="ed-panel ed-pages" aria-labelledby="ed-pages-title">
      <div class="ed-panel-head">
        <h2 id="ed-pages-title">Pages</h2>
        <button type="button" class="ed-btn ed-btn-small" onClick={() => runCommand(ctx, screen, COMMAND.addPage)}>
          Add page
        </button>
      </div>
      <ul class="ed-page-list">
        {doc.pages.map((page) => (
          <li key={page.name} aria-label={page.name} class={`ed-page-item${page.name === current ? ' ed-current' : ''}`}>
            {renaming === page.name ? (
              <RenameField ctx={ctx} page={page} onDone={() => (screen.renamingPage.value = null)} />
            ) : (
              <PageRow ctx={ctx} screen={screen} page={page} isHome={doc.homePage === page.name} isCurrent={page.name === current} />
            )}
          </li>
        ))}
      </ul>
      {deleting !== null && (
        <Confirm
          title={`Delete ${deleting}?`}
          message={`The page ${deleting} and its widgets are deleted. Undo brings them back.`}
          confirmLabel="Delete"
          onCancel={() => (screen.deletingPage.value = null)}
          onConfirm={() => {
            screen.deletingPage.value = null;
            try {
              confirmDeletePage(ctx, deleting);
            } catch (e) {
              ctx.notify(e instanceof Error ? e.message : String(e));
            }
          }}
        />
      )}
    </section>
  );
}

function PageRow(props: { ctx: EditorContext; screen: ScreenState; page: PageEntry; isHome: boolean; isCurrent: boolean }) {
  const { ctx, screen, page, isHome, isCurrent } = props;
  const items: MenuItem[] = [
    { label: 'Rename', onSelect: () => runCommand(ctx, screen, COMMAND.renamePage, page.name) },
    { label: 'Duplicate', onSelect: () => runCommand(ctx, screen, COMMAND.duplicatePage, page.name) },
    page.hidden
      ? { label: 'Show', onSelect: () => runCommand(ctx, screen, COMMAND.showPage, page.name) }
      : { label: 'Hide', onSelect: () => runCommand(ctx, screen, COMMAND.hidePage, page.name) },
    {
      label: 'Set as home page',
      disabled: isHome,
      hint: 'This is the home page.',
      onSelect: () => runCommand(ctx, screen, COMMAND.setHomePage, page.name),
    },
    { label: 'Delete', onSelect: () => runCommand(ctx, screen, COMMAND.deletePage, page.name) },
  ];
  return (
    <div class="ed-page-row">
      <button
        type="button"
        class="ed-page-button"
        aria-current={isCurrent ? 'page' : undefined}
        onClick={() => {
          if (ctx.currentPage.peek() === page.name) return;
          ctx.currentPage.value = page.name;
          ctx.selection.value = [];
        }}
      >
        {page.name}
      </button>
      {isHome && (
        <span class="ed-mark" role="img" aria-label="Home page" title="Home page">
          ⌂
        </span>
      )}
      {page.hidden && (
        <span class="ed-mark" role="img" aria-label="Hidden" title="Hidden from the navigation">
          ⊘
        </span>
      )}
      <MenuButton label={`Page options for ${page.name}`} items={items}>
        <span aria-hidden="true">…</span>
      </MenuButton>
    </div>
  );
}

function RenameField({ ctx, page, onDone }: { ctx: EditorContext; page: PageEntry; onDone: () => void }) {
  const [value, setValue] = useState(page.name);
  const [problem, setProblem] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const done = useRef(false);

  // In the render's own task: what the builder types next goes into the field.
  useLayoutEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const finish = (): void => {
    done.current = true;
    onDone();
  };
  // The field's own value: an Enter right after typing may come before the re-render.
  const typed = (): string => (input.current?.value ?? value).trim();
  const commit = (): void => {
    const name = typed();
    if (name === page.name) return finish();
    const refused = pageNameProblem(ctx.session.doc.peek(), name, page.name);
    if (refused) {
      setProblem(refused);
      return;
    }
    try {
      ctx.session.apply(cmd.renamePage(ctx.session.doc.peek(), page.name, name));
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
      return;
    }
    if (ctx.currentPage.peek() === page.name) ctx.currentPage.value = name;
    finish();
  };

  return (
    <div class="ed-rename">
      <input
        ref={input}
        type="text"
        class="ed-rename-input"
        aria-label="Page name"
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? `ed-rename-problem-${page.name}` : undefined}
        value={value}
        onInput={(e) => {
          setValue(e.currentTarget.value);
          setProblem('');
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            finish();
          }
        }}
        onBlur={() => {
          // Leaving the field keeps a valid name and drops an invalid one.
          if (done.current) return;
          const name = typed();
          if (name !== page.name && !pageNameProblem(ctx.session.doc.peek(), name, page.name)) commit();
          else finish();
        }}
      />
      {problem && (
        <p id={`ed-rename-problem-${page.name}`} class="ed-error ed-small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
