import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { pollIntervalFrom } from './status/poll-interval.ts';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <App pollMs={pollIntervalFrom(window.location.search)} />
  </StrictMode>,
);
