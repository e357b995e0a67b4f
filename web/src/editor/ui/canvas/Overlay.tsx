/**
 * The canvas's edit overlay, drawn over the page: a frame per widget (its toggle button for the
 * keyboard, its selection outline and resize handles), the outline of the widget under the
 * pointer, and what a drag would do (the ghost, the snapped target, the receiving container).
 */

import type { Signal } from '@preact/signals';
import { Component } from 'preact';
import { HANDLES, type Box, type Frame } from './geometry.ts';

/** What the overlay shows while the pointer drags. */
export type Preview =
  | { readonly kind: 'move'; readonly ghost: Box; readonly targets: readonly Box[]; readonly into: Box | null }
  | { readonly kind: 'resize'; readonly target: Box }
  | { readonly kind: 'new'; readonly target: Box; readonly into: Box | null }
  | { readonly kind: 'marquee'; readonly box: Box };

function px(n: number): string {
  return `${Math.round(n * 100) / 100}px`;
}

function boxStyle(b: Box): Record<string, string> {
  return { left: px(b.x), top: px(b.y), width: px(b.width), height: px(b.height) };
}

interface FrameProps {
  readonly frame: Frame;
  readonly selected: boolean;
  readonly handles: boolean;
  /** Not shown (its `isVisible` is false): the frame alone marks where it is. */
  readonly hidden: boolean;
  readonly onSelect: (name: string, additive: boolean) => void;
}

export function sameBox(a: Box, b: Box): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

/** One widget's frame; rendered again only when its box, type or selection changes. */
export class FrameView extends Component<FrameProps> {
  override shouldComponentUpdate(next: FrameProps): boolean {
    const p = this.props;
    return (
      next.selected !== p.selected ||
      next.handles !== p.handles ||
      next.hidden !== p.hidden ||
      next.frame.type !== p.frame.type ||
      next.frame.depth !== p.frame.depth ||
      !sameBox(next.frame.box, p.frame.box)
    );
  }

  override render() {
    const { frame, selected, handles, hidden } = this.props;
    const cls = `ed-cv-frame${selected ? ' is-selected' : ''}${hidden ? ' is-hidden' : ''}`;
    return (
      <div
        class={cls}
        role="button"
        tabIndex={0}
        aria-pressed={selected}
        data-frame={frame.name}
        style={{ ...boxStyle(frame.box), zIndex: String(frame.depth + 1) }}
        onKeyDown={(e) => {
          if (e.target !== e.currentTarget) return;
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            this.props.onSelect(frame.name, e.shiftKey || e.metaKey || e.ctrlKey);
          }
        }}
      >
        <span class="ed-sr">
          {frame.name} ({frame.type}){hidden ? ', hidden' : ''}
        </span>
        {selected && (
          <span class="ed-cv-tag" aria-hidden="true">
            {frame.name}
          </span>
        )}
        {handles &&
          HANDLES.map((h) => (
            <span
              key={h}
              class={`ed-cv-handle ed-cv-handle-${h}`}
              data-handle={h}
              aria-hidden="true"
            />
          ))}
      </div>
    );
  }
}

export function HoverBox({ hover }: { hover: Signal<Box | null> }) {
  const box = hover.value;
  return box ? <div class="ed-cv-hover" style={boxStyle(box)} aria-hidden="true" /> : null;
}

export function DragPreview({ preview }: { preview: Signal<Preview | null> }) {
  const p = preview.value;
  return p ? <PreviewBoxes p={p} /> : null;
}

export function PreviewBoxes({ p }: { p: Preview }) {
  if (p.kind === 'resize') return <div class="ed-cv-target" style={boxStyle(p.target)} aria-hidden="true" />;
  if (p.kind === 'marquee') return <div class="ed-cv-marquee" style={boxStyle(p.box)} aria-hidden="true" />;
  if (p.kind === 'new') {
    return (
      <>
        {p.into && <div class="ed-cv-into" style={boxStyle(p.into)} aria-hidden="true" />}
        <div class="ed-cv-target" style={boxStyle(p.target)} aria-hidden="true" />
      </>
    );
  }
  return (
    <>
      {p.into && <div class="ed-cv-into" style={boxStyle(p.into)} aria-hidden="true" />}
      {p.targets.map((t, i) => (
        <div key={i} class="ed-cv-target" style={boxStyle(t)} aria-hidden="true" />
      ))}
      <div class="ed-cv-ghost" style={boxStyle(p.ghost)} aria-hidden="true" />
    </>
  );
}
