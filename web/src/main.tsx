import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { createRouter } from './routes.tsx';
import { SessionProvider } from './session/session.tsx';
import { InstanceProvider } from './status/instance-context.tsx';
import { pollIntervalFrom } from './status/poll-interval.ts';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const router = createRouter(pollIntervalFrom(window.location.search));

createRoot(root).render(
  <StrictMode>
    <SessionProvider>
      <InstanceProvider>
        <RouterProvider router={router} />
      </InstanceProvider>
    </SessionProvider>
  </StrictMode>,
);
