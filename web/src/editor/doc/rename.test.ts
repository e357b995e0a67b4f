import { describe, expect, it } from 'vitest';
import { loginApp } from './fixture.ts';
import { applyOp } from './ops.ts';
import { referencesTo, renameInCode, renameInTemplate, renameNavigateTargets } from './rename.ts';

const r = (code: string) => renameInCode(code, 'inp', 'field');

describe('renameInCode', () => {
  it('rewrites identifier references', () => {
    expect(r('inp.text')).toBe('field.text');
    expect(r('inp.text + inp.value')).toBe('field.text + field.value');
    expect(r('f(inp, [inp], -inp, !inp, inp?.text, ...inp)')).toBe('f(field, [field], -field, !field, field?.text, ...field)');
    expect(r('a ? inp : b')).toBe('a ? field : b');
    expect(r('x[inp.key]')).toBe('x[field.key]');
  });

  it('leaves properties, longer names and other identifiers alone', () => {
    expect(r('form.inp')).toBe('form.inp');
    expect(r('form?.inp')).toBe('form?.inp');
    expect(r('inp2.text + my_inp + inp_x + $inp')).toBe('inp2.text + my_inp + inp_x + $inp');
  });

  it('leaves strings, template text, comments and regular expressions alone', () => {
    expect(r(`"inp" + 'inp' + inp`)).toBe(`"inp" + 'inp' + field`);
    expect(r('`inp ${inp.text} inp`')).toBe('`inp ${field.text} inp`');
    expect(r('`a ${ `b ${inp} inp` } c`')).toBe('`a ${ `b ${field} inp` } c`');
    expect(r('inp /* inp */ + 1 // inp')).toBe('field /* inp */ + 1 // inp');
    expect(r('/inp/.test(inp.text)')).toBe('/inp/.test(field.text)');
    expect(r('x = inp.text / 2 / inp.value')).toBe('x = field.text / 2 / field.value');
    expect(r(`'it\\'s inp' + inp`)).toBe(`'it\\'s inp' + field`);
  });

  it('leaves object keys and method names alone but rewrites values', () => {
    expect(r('{ inp: inp.text }')).toBe('{ inp: field.text }');
    expect(r('{ a: 1, inp: 2 }')).toBe('{ a: 1, inp: 2 }');
    expect(renameInCode('export default { inp() { return inp.text }, async inp2() {} }', 'inp', 'field', false)).toBe(
      'export default { inp() { return field.text }, async inp2() {} }',
    );
    expect(renameInCode('export default { get inp() { return 1 } }', 'inp', 'field', false)).toBe('export default { get inp() { return 1 } }');
  });

  it('keeps the key of a shorthand property, and undoes that exactly', () => {
    expect(r('{ inp }')).toBe('{ inp: field }');
    expect(r('{ a, inp, b }')).toBe('{ a, inp: field, b }');
    expect(renameInCode('{ inp: field }', 'field', 'inp')).toBe('{ inp }');
    expect(renameInCode('const { inp = 1 } = x', 'inp', 'field', false)).toBe('const { inp: field = 1 } = x');
  });

  it('rewrites references inside blocks and arrow functions', () => {
    const code = 'if (ok) { inp.setValue(1) } else { inp.reset() }; rows.map((r) => { return inp.text + r })';
    expect(renameInCode(code, 'inp', 'field', false)).toBe(
      'if (ok) { field.setValue(1) } else { field.reset() }; rows.map((r) => { return field.text + r })',
    );
  });

  it('tells a regular expression from a division by what comes before the slash', () => {
    expect(renameInCode('function f() { return /inp/g.test(x) + inp }', 'inp', 'field', false)).toBe(
      'function f() { return /inp/g.test(x) + field }',
    );
    expect(r('a / inp / b')).toBe('a / field / b');
    expect(r('(a) / inp')).toBe('(a) / field');
    expect(r('x.replace(/[/}]inp/, inp)')).toBe('x.replace(/[/}]inp/, field)');
  });

  it('handles a JS object the way the guide writes one', () => {
    const source = [
      'export default {',
      '  user: inp,',
      '  async signin() {',
      "    const res = await login.run({ inp: inp.text, other: `${inp.text}` });",
      '    if (typeof inp === "undefined") { return { inp } }',
      "    storeValue('inp', inp.text); // remember inp",
      '  },',
      '}',
    ].join('\n');
    expect(renameInCode(source, 'inp', 'field', false)).toBe(
      [
        'export default {',
        '  user: field,',
        '  async signin() {',
        "    const res = await login.run({ inp: field.text, other: `${field.text}` });",
        '    if (typeof field === "undefined") { return { inp: field } }',
        "    storeValue('inp', field.text); // remember inp",
        '  },',
        '}',
      ].join('\n'),
    );
  });

  it('returns the very same string when nothing refers to the name', () => {
    const code = 'form.inp + "inp"';
    expect(renameInCode(code, 'inp', 'field')).toBe(code);
  });
});

describe('renameInTemplate', () => {
  it('rewrites only inside bindings', () => {
    expect(renameInTemplate('inp: {{ inp.text }} and {{inp.value}}', 'inp', 'field')).toBe('inp: {{ field.text }} and {{field.value}}');
  });

  it('finds binding ends as the viewer does', () => {
    expect(renameInTemplate('{{ "}}" + inp.text }}', 'inp', 'field')).toBe('{{ "}}" + field.text }}');
    expect(renameInTemplate('{{ {a: {b: inp}} }}', 'inp', 'field')).toBe('{{ {a: {b: field}} }}');
  });

  it('leaves an unclosed binding as it is', () => {
    expect(renameInTemplate('{{ inp.text', 'inp', 'field')).toBe('{{ inp.text');
  });
});

describe('renameNavigateTargets', () => {
  it('rewrites literal page names given to navigateTo', () => {
    expect(renameNavigateTargets(`navigateTo('Dashboard'); navigateTo("Dashboard", {}, 'SAME_WINDOW')`, 'Dashboard', 'Home')).toBe(
      `navigateTo('Home'); navigateTo("Home", {}, 'SAME_WINDOW')`,
    );
  });

  it('leaves other strings, other calls and computed targets alone', () => {
    const code = `x.navigateTo('Dashboard'); showAlert('Dashboard'); navigateTo(page); navigateTo('Dashboard2')`;
    expect(renameNavigateTargets(code, 'Dashboard', 'Home')).toBe(code);
  });

  it('renames targets inside widget events too', () => {
    let doc = loginApp();
    doc = applyOp(doc, { kind: 'setProp', page: 'LoginPage', widget: 'btn_login', prop: 'onClick', value: "{{ navigateTo('Dashboard') }}" });
    doc = applyOp(doc, { kind: 'renamePage', from: 'Dashboard', to: 'Overview' });
    const btn = doc.pages[0]!.widgets[0]!.children[2]!;
    expect(btn.props.onClick).toBe("{{ navigateTo('Overview') }}");
  });
});

describe('referencesTo', () => {
  it('names each place that refers to a name', () => {
    expect(referencesTo(loginApp(), 'inp_username')).toEqual(['txt_hint.text on page LoginPage', 'the query login', 'the JS object Auth']);
    expect(referencesTo(loginApp(), 'nobody')).toEqual([]);
  });
});
