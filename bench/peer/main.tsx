/** The peer harness page's browser entry (bundled by server.ts): the app's styles, then the page. */
import { createRoot } from 'react-dom/client';
import '@/app/globals.css';
import { PeerBench } from './peer-bench';

createRoot(document.getElementById('root')!).render(<PeerBench />);
