import {Text} from 'ink';

/** The keys, always on screen. */
export function Footer() {
  return <Text dimColor wrap="truncate">{'tab/1-3 view  s sort  p pause  i internal topics  q quit'}</Text>;
}
