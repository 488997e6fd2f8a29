/**
 * A table's header row of plain column names; a falsy entry is a column this reader does not get. `action` names a last
 * column of buttons, for screen readers only. Tables whose heads carry more than a word write their own.
 */
export function ColumnHeads({ columns, action }: { columns: readonly (string | false | null)[]; action?: string | false }) {
  return (
    <thead>
      <tr>
        {columns.map((c) =>
          c ? (
            <th key={c} scope="col">
              {c}
            </th>
          ) : null,
        )}
        {action ? (
          <th scope="col">
            <span className="visually-hidden">{action}</span>
          </th>
        ) : null}
      </tr>
    </thead>
  );
}
