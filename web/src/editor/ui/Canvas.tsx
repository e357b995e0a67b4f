/**
 * The canvas: a region named "Canvas" showing the current page as the viewer shows it (the
 * viewer's own widget views, live bindings included, each widget's root carrying
 * `data-widget`), with an edit overlay on top.
 *
 * The overlay has one frame per widget, placed from the document's grid positions (so a
 * widget whose `isVisible` is false can still be selected): a toggle button named
 * "<name> (<type>)" that the keyboard reaches (Enter or Space selects, Shift adds), and that the
 * pointer passes through, so a canvas Input can be typed into. The pointer is handled once, on
 * the stage: a press selects the innermost widget under it by geometry (Shift, Ctrl or Cmd adds
 * to the selection), a drag moves the selection (into or out of containers), the handles of the
 * selected widget resize it; both snap to the 64-column grid and 10 px rows, and Esc cancels.
 * Nothing changes in the document until the release, so a cancelled drag leaves no trace; the
 * model pushes overlapped siblings down (doc/layout.ts).
 */

import { signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { WidgetModel } from '../../runtime/index.ts';
import { isContainerType, isWidgetType, widgetSpec } from '../doc/catalogue.ts';
import type { Position, WidgetDoc, WidgetType } from '../doc/types.ts';
import { addWidgetAt, moveWidgets, resizeWidget, type Placement } from './canvas/actions.ts';
import { CanvasGrid } from './canvas/CanvasGrid.tsx';
import { CANVAS_ROOT_ATTR } from './canvas/commands.ts';
import { useCanvas, type CanvasController } from './canvas/controller.ts';
import {
  boxOf,
  cellAt,
  chooseDropTarget,
  columnsFor,
  framesTouching,
  GRID_COLUMNS,
  hitTest,
  layoutFrames,
  resizeBy,
  samePosition,
  snapBox,
  type Box,
  type Frame,
  type GridBox,
  type Handle,
  type Point,
} from './canvas/geometry.ts';
import { measure, NOTHING_MEASURED, sameMeasured, type Measured } from './canvas/measure.ts';
import { DragPreview, FrameView, HoverBox, PreviewBoxes, sameBox, type Preview } from './canvas/Overlay.tsx';
import { DRAG_THRESHOLD_PX, scrollNearEdge, scrollParent, startPointerDrag } from './canvas/pointer.ts';
import { hiddenWidgets, pageShape } from './canvas/shape.ts';
import type { EditorContext } from './context.ts';
import './canvas/canvas.css';

const isContainer = (type: string): boolean => isWidgetType(type) && isContainerType(type);

export function Canvas() {
  const { ctx, canvas } = useCanvas();
  // Not the document itself: a property edit makes a new one at each keystroke, and the
  // overlay follows only the page's shape (canvas/shape.ts). The widgets repaint themselves.
  const shape = useMemo(() => pageShape(ctx.session.doc, ctx.currentPage), [ctx]).value;
  return (
    <section class="ed-cv" aria-label="Canvas" {...{ [CANVAS_ROOT_ATTR]: '' }}>
      {shape ? (
        <Stage ctx={ctx} canvas={canvas} widgets={shape.widgets} />
      ) : (
        <p class="ed-cv-empty">This app has no page “{ctx.currentPage.value}”.</p>
      )}
    </section>
  );
}

function Stage({ ctx, canvas, widgets }: { ctx: EditorContext; canvas: CanvasController; widgets: readonly WidgetDoc[] }) {
  const gridRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const [measured, setMeasured] = useState<Measured>(NOTHING_MEASURED);
  const preview = useMemo(() => signal<Preview | null>(null), []);
  /** The widget under the pointer (frames let the pointer through, so CSS :hover cannot). */
  const hover = useMemo(() => signal<Box | null>(null), []);
  const selection = ctx.selection.value;
  // Widgets whose isVisible is false are not drawn by their views; their frames say so.
  const hidden = useMemo(() => hiddenWidgets(canvas.live.models), [canvas]).value;

  const frames = useMemo(
    () => layoutFrames(widgets, { x: 0, y: 0, width: measured.width }, isContainer, measured.inner),
    [widgets, measured],
  );
  const byName = useMemo(() => new Map(frames.map((f) => [f.name, f])), [frames]);
  const containers = useMemo(() => frames.filter((f) => f.inner !== undefined).map((f) => f.name), [frames]);

  // The gesture handlers run long after this render: they read the latest frames from here.
  const latest = useRef({ frames, byName, measured, containers });
  latest.current = { frames, byName, measured, containers };

  const pageGrid = (): GridBox => ({ x: 0, y: 0, width: latest.current.measured.width });
  const gridOf = (parent: string | null): GridBox =>
    (parent === null ? undefined : latest.current.byName.get(parent)?.inner) ?? pageGrid();
  const toPage = (client: Point): Point => {
    const r = gridRef.current?.getBoundingClientRect();
    return r ? { x: client.x - r.left, y: client.y - r.top } : client;
  };

  // Measured (a forced layout) only when geometry can have changed: after a render of the
  // stage (the page's shape, the hidden widgets, the selection), when a container's model was
  // replaced (its inner grid moves with what it draws), and when the canvas is resized. Not
  // after a property edit of a plain widget, which re-renders that widget alone. A state
  // update only when something moved.
  const measuredModels = useRef<ReadonlyMap<string, WidgetModel | undefined>>(new Map());
  const remeasure = (): void => {
    const grid = gridRef.current;
    if (!grid) return;
    const now = canvas.live.models.peek();
    measuredModels.current = new Map(latest.current.containers.map((n) => [n, now.get(n)]));
    const next = measure(grid, latest.current.containers);
    setMeasured((prev) => (sameMeasured(prev, next) ? prev : next));
  };
  const onGridRendered = (): void => {
    const now = canvas.live.models.peek();
    for (const [name, model] of measuredModels.current) {
      if (now.get(name) !== model) {
        remeasure();
        return;
      }
    }
  };
  useLayoutEffect(remeasure);
  useEffect(() => {
    const grid = gridRef.current;
    if (!grid || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => remeasure());
    ro.observe(grid);
    return () => ro.disconnect();
  }, []);

  const focusFrame = (name: string): void => {
    // After the render that made the frame.
    requestAnimationFrame(() => {
      const frames = stageRef.current?.querySelectorAll<HTMLElement>('[data-frame]') ?? [];
      for (const el of frames) if (el.dataset.frame === name) el.focus({ preventScroll: true });
    });
  };

  // Drops from the palette land here.
  useEffect(() => {
    const drop = (type: Parameters<NonNullable<CanvasController['dropNew']>>[0], client: Point): boolean => {
      // Over the stage, and over the part of it in view (the pane around it may be scrolled).
      const stage = stageRef.current;
      const pane = scrollParent(stage);
      const over = (r: DOMRect): boolean => client.x >= r.left && client.x <= r.right && client.y >= r.top && client.y <= r.bottom;
      if (!stage || !over(stage.getBoundingClientRect()) || (pane && !over(pane.getBoundingClientRect()))) return false;
      const pt = toPage(client);
      const target = chooseDropTarget(latest.current.frames, pt);
      const grid = target?.inner ?? pageGrid();
      const at = dropCell(grid, pageGrid(), pt, type);
      const ok = addWidgetAt(ctx, type, target?.name ?? null, at);
      const added = ctx.selection.peek()[0];
      if (ok && added !== undefined) focusFrame(added);
      return ok;
    };
    const over = (client: Point): void => void scrollNearEdge(scrollParent(stageRef.current), client);
    canvas.dropNew = drop;
    canvas.dragOver = over;
    return () => {
      if (canvas.dropNew === drop) canvas.dropNew = null;
      if (canvas.dragOver === over) canvas.dragOver = null;
    };
  }, [canvas, ctx]);

  const select = (name: string, additive: boolean): void => {
    const current = ctx.selection.peek();
    if (!additive) ctx.selection.value = [name];
    else if (current.includes(name)) ctx.selection.value = current.filter((n) => n !== name);
    else ctx.selection.value = [...current, name];
  };

  const startResize = (e: PointerEvent, frame: Frame, handle: Handle): void => {
    const start = toPage({ x: e.clientX, y: e.clientY });
    const grid = gridOf(frame.parent);
    let position = frame.position;
    startPointerDrag(e, {
      threshold: 0,
      move: (client) => {
        scrollNearEdge(scrollParent(stageRef.current), client);
        const pt = toPage(client);
        position = resizeBy(grid, frame.position, handle, pt.x - start.x, pt.y - start.y);
        preview.value = { kind: 'resize', target: boxOf(grid, position) };
      },
      end: () => {
        preview.value = null;
        if (!samePosition(position, frame.position)) resizeWidget(ctx, frame.name, position);
      },
      cancel: () => {
        preview.value = null;
      },
    });
  };

  const startMove = (e: PointerEvent, hit: Frame, names: readonly string[], focusAfterClick: boolean, wasSelected: boolean): void => {
    const start = toPage({ x: e.clientX, y: e.clientY });
    const moving = names.map((n) => latest.current.byName.get(n)).filter((f): f is Frame => f !== undefined);
    let moves: Placement[] = [];
    startPointerDrag(e, {
      threshold: DRAG_THRESHOLD_PX,
      move: (client) => {
        scrollNearEdge(scrollParent(stageRef.current), client);
        const pt = toPage(client);
        const dx = pt.x - start.x;
        const dy = pt.y - start.y;
        const into = chooseDropTarget(latest.current.frames, pt, new Set(names));
        const grid = into?.inner ?? pageGrid();
        // Moved to another grid, a widget keeps its width in pixels.
        const sameGrid = (into?.name ?? null) === hit.parent;
        const widthIn = (f: Frame): number => (sameGrid ? f.position.width : columnsFor(grid, f.box.width));
        const lead = snapBox(grid, { x: hit.box.x + dx, y: hit.box.y + dy }, widthIn(hit), hit.position.height);
        // The others keep their offsets from the widget under the pointer, in grid units.
        moves = moving.map((f) => ({
          name: f.name,
          parent: into?.name ?? null,
          position:
            f === hit
              ? lead
              : snapBox(
                  grid,
                  boxOf(grid, { ...f.position, col: lead.col + f.position.col - hit.position.col, row: lead.row + f.position.row - hit.position.row }),
                  widthIn(f),
                  f.position.height,
                ),
        }));
        preview.value = {
          kind: 'move',
          ghost: { ...hit.box, x: hit.box.x + dx, y: hit.box.y + dy },
          targets: moves.map((m) => boxOf(grid, m.position)),
          into: into?.box ?? null,
        };
      },
      end: (_client, moved) => {
        preview.value = null;
        if (moved) {
          const changed = moves.filter((m) => {
            const f = latest.current.byName.get(m.name);
            return f !== undefined && (f.parent !== m.parent || !samePosition(f.position, m.position));
          });
          if (changed.length > 0) moveWidgets(ctx, moves);
          return;
        }
        // A click on one of several selected widgets selects it alone.
        if (wasSelected && ctx.selection.peek().length > 1) ctx.selection.value = [hit.name];
        if (focusAfterClick) focusFrame(hit.name);
      },
      cancel: () => {
        preview.value = null;
      },
    });
  };

  /** A drag from an empty spot of the page draws a rectangle; the page's widgets it touches
   * are selected (added to the selection with Shift, Ctrl or Cmd). */
  const startMarquee = (e: PointerEvent, additive: boolean): void => {
    const start = toPage({ x: e.clientX, y: e.clientY });
    const before = additive ? ctx.selection.peek() : [];
    let rect: Box | null = null;
    startPointerDrag(e, {
      threshold: DRAG_THRESHOLD_PX,
      move: (client) => {
        scrollNearEdge(scrollParent(stageRef.current), client);
        const pt = toPage(client);
        rect = { x: Math.min(start.x, pt.x), y: Math.min(start.y, pt.y), width: Math.abs(pt.x - start.x), height: Math.abs(pt.y - start.y) };
        preview.value = { kind: 'marquee', box: rect };
      },
      end: () => {
        preview.value = null;
        if (!rect) return;
        const touched = framesTouching(latest.current.frames, rect).map((f) => f.name);
        ctx.selection.value = [...before, ...touched.filter((n) => !before.includes(n))];
      },
      cancel: () => {
        preview.value = null;
      },
    });
  };

  const onPointerDown = (e: PointerEvent): void => {
    if (e.button !== 0) return;
    // The outline of the widget under the pointer would stay behind while things move.
    hover.value = null;
    const target = e.target instanceof Element ? e.target : null;
    const handle = target?.closest<HTMLElement>('[data-handle]')?.dataset.handle as Handle | undefined;
    const primary = ctx.selection.peek()[0];
    const primaryFrame = primary === undefined ? undefined : latest.current.byName.get(primary);
    if (handle && primaryFrame) {
      e.preventDefault();
      startResize(e, primaryFrame, handle);
      return;
    }
    const hit = hitTest(latest.current.frames, toPage({ x: e.clientX, y: e.clientY }));
    const additive = e.shiftKey || e.metaKey || e.ctrlKey;
    if (!hit) {
      if (!additive) ctx.selection.value = [];
      startMarquee(e, additive);
      return;
    }
    if (additive) {
      e.preventDefault();
      select(hit.name, true);
      return;
    }
    const current = ctx.selection.peek();
    const wasSelected = current.includes(hit.name);
    if (!wasSelected) ctx.selection.value = [hit.name];
    // A drag takes the selected widgets that share the grabbed one's grid.
    const names = (wasSelected ? current : [hit.name]).filter((n) => latest.current.byName.get(n)?.parent === hit.parent);
    const editable = target?.closest('input, textarea, select, [contenteditable]') !== null;
    startMove(e, hit, names, !editable, wasSelected);
  };

  const primary = selection[0];
  return (
    <div class="ed-cv-scroll">
      <div
        class="ed-cv-stage"
        ref={stageRef}
        onPointerDown={onPointerDown}
        onPointerMove={(e) => {
          if (e.buttons !== 0) return;
          const box = hitTest(latest.current.frames, toPage({ x: e.clientX, y: e.clientY }))?.box ?? null;
          const was = hover.peek();
          if (box !== was && !(box && was && sameBox(box, was))) hover.value = box;
        }}
        onPointerLeave={() => {
          hover.value = null;
        }}
        // The canvas edits widgets, it does not use them: a click on a canvas button selects it
        // and does nothing else (its events do not run here anyway).
        onClickCapture={(e) => {
          const t = e.target instanceof Element ? e.target : null;
          if (t?.closest('.lk-grid button') && !t.closest('[data-frame]')) {
            e.preventDefault();
            e.stopPropagation();
          }
        }}
      >
        <CanvasGrid roots={canvas.live.roots} gridRef={gridRef} onRendered={onGridRendered} />
        <div class="ed-cv-overlay">
          {frames.map((f) => (
            <FrameView
              key={f.name}
              frame={f}
              selected={selection.includes(f.name)}
              handles={primary === f.name && selection.length === 1}
              hidden={hidden.has(f.name)}
              onSelect={select}
            />
          ))}
          <HoverBox hover={hover} />
          <DragPreview preview={preview} />
          <PaletteDropPreview canvas={canvas} frames={frames} toPage={toPage} pageWidth={measured.width} />
        </div>
      </div>
    </div>
  );
}

/** Where a new widget of `type` dropped at `pt` lands in `grid`: its default size, as wide in
 * pixels as on the page. */
function dropCell(grid: GridBox, page: GridBox, pt: Point, type: WidgetType): Position {
  const size = widgetSpec(type).defaultSize;
  const width = page.width > 0 ? columnsFor(grid, (size.width * page.width) / GRID_COLUMNS) : size.width;
  return cellAt(grid, pt, width, size.height);
}

/** While a widget type is dragged from the palette over the canvas: where it would land. */
function PaletteDropPreview(props: { canvas: CanvasController; frames: readonly Frame[]; toPage: (c: Point) => Point; pageWidth: number }) {
  const drag = props.canvas.paletteDrag.value;
  if (!drag) return null;
  const pt = props.toPage(drag.client);
  const into = chooseDropTarget(props.frames, pt);
  const grid = into?.inner ?? { x: 0, y: 0, width: props.pageWidth };
  if (pt.x < 0 || pt.y < 0 || pt.x > props.pageWidth) return null;
  const target = boxOf(grid, dropCell(grid, { x: 0, y: 0, width: props.pageWidth }, pt, drag.type));
  return <PreviewBoxes p={{ kind: 'new', target, into: into?.box ?? null }} />;
}
