/** The editor's one Builder API client, on this origin. */
import { createBuilderApi } from '../../api.ts';

export const api = createBuilderApi();
