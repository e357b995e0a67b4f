/**
 * "Usages of <name>": the definition of a name and every place the app refers to it
 * (`doc/usages.ts`), each a button that goes there (`onGo`); the owner closes the dialog and
 * selects the widget, opens the query's field or the JS object at its line.
 */

import { definitionOf, usagesOf, type Place } from '../../doc/usages.ts';
import type { AppDoc } from '../../doc/types.ts';
import { CloseButtonRow, Dialog } from '../shell/Dialog.tsx';
import './complete.css';

export interface UsagesDialogProps {
  readonly doc: AppDoc;
  readonly name: string;
  readonly onGo: (place: Place) => void;
  readonly onClose: () => void;
}

/** A place in words: "inp_password, onSubmit on LoginPage", "query sign_in, body". */
export function describePlace(place: Place): string {
  switch (place.kind) {
    case 'widget':
      return place.property === undefined ? `widget ${place.widget} on ${place.page}` : `${place.widget}, ${place.property} on ${place.page}`;
    case 'query':
      return place.field === undefined ? `query ${place.query}` : `query ${place.query}, ${place.field}`;
    case 'jsObject':
      return place.line === undefined ? `JS object ${place.object}` : `JS object ${place.object}, line ${place.line}`;
    case 'page':
      return place.onLoad ? `page ${place.page}, on page load` : `page ${place.page}`;
  }
}

export function UsagesDialog({ doc, name, onGo, onClose }: UsagesDialogProps) {
  const definition = definitionOf(doc, name);
  const usages = usagesOf(doc, name);
  return (
    <Dialog title={`Usages of ${name}`} onClose={onClose}>
      {definition ? (
        <p>
          Defined in{' '}
          <button type="button" class="ed-link-btn" onClick={() => onGo(definition)}>
            {describePlace(definition)}
          </button>
        </p>
      ) : (
        <p>The app has nothing named {name}.</p>
      )}
      {usages.length === 0 ? (
        <p class="ed-muted">Nothing refers to {name}.</p>
      ) : (
        <ul class="ed-usages" aria-label={`${usages.length} ${usages.length === 1 ? 'usage' : 'usages'}`}>
          {usages.map((u, i) => (
            <li key={i}>
              <button type="button" class="ed-link-btn" onClick={() => onGo(u)}>
                {describePlace(u)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <CloseButtonRow onClose={onClose} />
    </Dialog>
  );
}
