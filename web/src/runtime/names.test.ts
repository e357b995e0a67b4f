import { describe, expect, it } from 'vitest';
import { wordsOf } from './names.ts';

const words = (code: string) => {
  const w = wordsOf(code);
  return w === 'all' ? w : [...w].sort();
};

describe('wordsOf', () => {
  it('collects every identifier-like word, properties and string contents included', () => {
    expect(words("inp_src.text + ' #1'")).toEqual(['inp_src', 'text']);
    expect(words('{ a: tbl.selectedRow?.id, $b: [..._rows] }')).toEqual(['$b', '_rows', 'a', 'id', 'selectedRow', 'tbl']);
    expect(words('`${q.data.length} rows of ${"total"}` // note')).toEqual(['$', 'data', 'length', 'note', 'of', 'q', 'rows', 'total']);
  });

  it('never splits a longer identifier into a name it contains, but over-approximates around non-ASCII letters', () => {
    expect(words('ainp + inp2 + 1inp')).toEqual(['ainp', 'inp', 'inp2']);
    expect(words('éinp')).toEqual(['inp']);
  });

  it('decodes Unicode escapes, so a name spelled with them is still found', () => {
    expect(words('\\u0069np.text')).toEqual(['inp', 'text']);
    expect(words('\\u{69}np')).toEqual(['inp']);
    expect(words('"caf\\u00e9"')).toEqual(['caf']);
  });

  it('answers "all" for code that can reach names without spelling them: eval and arguments', () => {
    expect(wordsOf('eval("inp.text")')).toBe('all');
    expect(wordsOf('(function () { return arguments.length })()')).toBe('all');
    expect(wordsOf('\\u0065val("x")')).toBe('all');
    expect(words('evaluate(x)')).toEqual(['evaluate', 'x']);
  });
});
