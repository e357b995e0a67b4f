import { displayString } from '../runtime/index.ts';
import type { TableModel } from './models.ts';

export function TableView({ model }: { model: TableModel }) {
  const { rows, error } = model.rows.value;
  const columns = model.columns.value;
  const loading = model.isLoading.value;
  const selected = model.selectedRowIndex;
  return (
    <div class="lk-table" aria-busy={loading}>
      {loading && (
        <div class="lk-table-loading" role="status">
          <span class="lk-spinner" aria-hidden="true" /> Loading…
        </div>
      )}
      {error && <div class="lk-widget-error">{error}</div>}
      <table>
        {columns.length > 0 && (
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.key}>{c.label}</th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {rows.length === 0 && !loading ? (
            <tr class="lk-table-empty">
              <td colSpan={Math.max(columns.length, 1)}>No data</td>
            </tr>
          ) : (
            rows.map((row, i) => (
              <tr key={i} class={i === selected ? 'lk-selected' : undefined} onClick={() => model.select(i)}>
                {columns.map((c) => (
                  <td key={c.key}>{displayString(row[c.key])}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
