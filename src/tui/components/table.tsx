import {Box, Text} from 'ink';
import {fitColumns, type TableModel} from '../views.js';

export interface TableProps {
  model: TableModel;
  width: number;
  /** Rows shown at most; the rest are counted on one line. */
  maxRows: number;
  empty: string;
}

const pad = (text: string, width: number, align: 'left' | 'right'): string => {
  const fill = ' '.repeat(Math.max(0, width - [...text].length));
  return align === 'right' ? fill + text : text + fill;
};

/** A text table that fits the terminal: columns that do not fit are dropped, least important first. */
export function Table({model, width, maxRows, empty}: TableProps) {
  if (model.rows.length === 0) return <Text dimColor>{empty}</Text>;
  const cols = fitColumns(model, width);
  const shown = model.rows.slice(0, Math.max(1, maxRows));
  const hidden = model.rows.length - shown.length;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {cols.map(({index, width: w}, k) => (k ? '  ' : '') + pad(model.columns[index]!.title, w, model.columns[index]!.align)).join('')}
      </Text>
      {shown.map((row, r) => (
        <Text key={r} wrap="truncate">
          {cols.map(({index, width: w}, k) => (
            <Text key={k} color={row[index]?.color}>
              {(k ? '  ' : '') + pad(row[index]?.text ?? '', w, model.columns[index]!.align)}
            </Text>
          ))}
        </Text>
      ))}
      {hidden > 0 ? <Text dimColor>{`… ${hidden} more (s sorts; a taller terminal shows more)`}</Text> : null}
    </Box>
  );
}
