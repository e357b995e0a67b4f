/**
 * A seeded fuzz test of the model layer: random sequences of the editor's commands on the
 * login app. After every step, undoing it must give back exactly the document before it, no
 * two widgets may share a name, and the structure must still be what the server accepts
 * (children only in containers). A failure prints its seed and step.
 */
import { describe, expect, it } from 'vitest';
import { isContainerType, widgetTypes } from './catalogue.ts';
import * as cmd from './commands.ts';
import { OpError } from './errors.ts';
import { loginApp } from './fixture.ts';
import { applyChange, applyWithInverse } from './ops.ts';
import { allNames, widgetsOf } from './query.ts';
import type { AppDoc, Change, WidgetDoc } from './types.ts';

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChange(doc: AppDoc, random: () => number): Change {
  const pick = <T,>(list: readonly T[]): T => {
    const item = list[Math.floor(random() * list.length)];
    if (item === undefined) throw new OpError('nothing to pick');
    return item;
  };
  const page = pick(doc.pages);
  const widgets = widgetsOf(page);
  const containers = widgets.filter((w) => isContainerType(w.type));
  const anyWidget = (): WidgetDoc => pick(widgets);
  const parent = (): string | null => (random() < 0.5 || containers.length === 0 ? null : pick(containers).name);
  const n = (max: number) => Math.floor(random() * max);
  switch (n(14)) {
    case 0:
      return cmd.addWidget(doc, page.name, pick(widgetTypes()), parent(), random() < 0.5 ? undefined : { col: n(64), row: n(40) });
    case 1:
      return cmd.moveWidget(doc, page.name, anyWidget().name, { parent: parent(), col: n(64), row: n(60) });
    case 2: {
      const w = anyWidget();
      return cmd.resizeWidget(doc, page.name, w.name, { ...w.position, width: 1 + n(70), height: 1 + n(30) });
    }
    case 3:
      return cmd.nudge(doc, page.name, [anyWidget().name], n(3) - 1, n(3) - 1);
    case 4: {
      const w = anyWidget();
      return cmd.setProp(doc, page.name, w.name, 'isVisible', random() < 0.5 ? `{{ ${anyWidget().name}.isVisible }}` : false);
    }
    case 5:
      return cmd.unsetProp(doc, page.name, anyWidget().name, 'isVisible');
    case 6:
      return cmd.renameWidget(doc, page.name, anyWidget().name, `w${n(30)}`);
    case 7:
      return cmd.deleteWidgets(doc, page.name, [anyWidget().name]);
    case 8:
      return cmd.duplicateWidgets(doc, page.name, [anyWidget().name]);
    case 9:
      return cmd.paste(doc, cmd.copy(doc, page.name, [anyWidget().name]), { page: pick(doc.pages).name, parent: null });
    case 10:
      return random() < 0.5 ? cmd.addPage(doc) : cmd.duplicatePage(doc, page.name);
    case 11:
      return cmd.renamePage(doc, page.name, `P${n(10)}`);
    case 12:
      return random() < 0.5 ? cmd.setHomePage(doc, page.name) : cmd.deletePage(doc, page.name);
    default:
      return cmd.setPageHidden(doc, page.name, random() < 0.5);
  }
}

function checkStructure(doc: AppDoc): void {
  const names = doc.pages.flatMap((p) => widgetsOf(p).map((w) => w.name));
  expect(new Set(names).size).toBe(names.length);
  expect(allNames(doc).size).toBe(names.length + doc.queries.length + doc.jsObjects.length);
  for (const p of doc.pages) for (const w of widgetsOf(p)) if (w.children.length > 0) expect(isContainerType(w.type)).toBe(true);
  expect(doc.pages.some((p) => p.name === doc.homePage)).toBe(true);
}

describe('random command sequences', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`undo restores every step exactly (seed ${seed})`, () => {
      const random = rng(seed);
      let doc = loginApp();
      let applied = 0;
      for (let step = 0; step < 150; step++) {
        let change: Change;
        try {
          change = randomChange(doc, random);
        } catch (e) {
          // A command that refuses (a taken name, the home page) is an outcome, not a bug.
          if (e instanceof OpError) continue;
          throw e;
        }
        let result: ReturnType<typeof applyWithInverse>;
        try {
          result = applyWithInverse(doc, change);
        } catch (e) {
          if (e instanceof OpError) continue;
          throw e;
        }
        expect(applyChange(result.doc, result.inverse), `seed ${seed} step ${step}: ${change.label}`).toEqual(doc);
        doc = result.doc;
        checkStructure(doc);
        applied++;
      }
      expect(applied).toBeGreaterThan(50);
    });
  }
});
