/** The console's entry point: mounts the app. */

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import './styles/base.css';
import './styles/layout.css';
import './styles/controls.css';
import './styles/labels.css';
import './styles/inbox.css';
import './styles/tables.css';
import './styles/action.css';
import './styles/agents.css';
import './styles/panels.css';
import './styles/narrow.css';

const root = document.getElementById('root');
if (root === null) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
