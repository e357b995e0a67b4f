import { mountViewer } from './viewer/index.tsx';

const root = document.getElementById('root');
if (root) mountViewer(root);
