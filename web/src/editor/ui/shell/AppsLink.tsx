/** The way back from an app to the app list (a link: it can open in a new tab too). */

import { APPS_PATH, isPlainClick, navigate } from './router.ts';

export function AppsLink() {
  return (
    <a
      href={APPS_PATH}
      class="ed-btn"
      onClick={(e) => {
        if (!isPlainClick(e)) return;
        e.preventDefault();
        navigate(APPS_PATH);
      }}
    >
      All apps
    </a>
  );
}
