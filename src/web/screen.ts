// The page's one breakpoint: on a screen this narrow the results come under the form, in one
// column, and the page reads as on a phone (styles.css's `@media (max-width: 860px)` is the
// same width: change both together).
import { useEffect, useState } from 'preact/hooks';

export const NARROW_SCREEN = '(max-width: 860px)';

export const isNarrowScreen = (): boolean => matchMedia(NARROW_SCREEN).matches;

/** Whether the screen is narrow, following the window as it is resized or turned. */
export function useNarrowScreen(): boolean {
  const [narrow, setNarrow] = useState(isNarrowScreen);
  useEffect(() => {
    const query = matchMedia(NARROW_SCREEN);
    const onChange = () => setNarrow(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return narrow;
}
