/** Small documents for the canvas's tests: a widget, and an app of one page `Home` holding them. */

import type { AppDoc, WidgetDoc, WidgetType } from '../../doc/types.ts';

export function w(name: string, type: WidgetType, props: Record<string, unknown> = {}, children: WidgetDoc[] = [], row = 0): WidgetDoc {
  return { name, type, position: { col: 0, row, width: 20, height: 5 }, props, children };
}

/** Its page runs `Auth.refresh` on load and the app has a query `get_user`: the canvas must run neither. */
export function app(widgets: WidgetDoc[]): AppDoc {
  return {
    version: 1,
    name: 'T',
    slug: 't',
    homePage: 'Home',
    datasources: [],
    settings: {},
    pages: [{ name: 'Home', hidden: false, onLoad: ['Auth.refresh'], widgets }],
    queries: [{ name: 'get_user' }],
    jsObjects: [],
  };
}
