import { useEffect, useState } from 'react';

/**
 * `value` once it has stopped changing for `delayMs`: work that follows the form (the time
 * estimate) runs after typing pauses, not on every keystroke.
 */
export function useDebouncedValue<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
