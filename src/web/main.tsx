// The page's entry: asks the server how it runs (auth mode, strictness), then shows the
// explorer. Everything after that goes through the API like any other client.
import { render } from 'preact';
import { App, type ExplorerSettings } from './app.js';
import './styles.css';

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  let settings: ExplorerSettings;
  try {
    const res = await fetch('/explorer/settings.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    settings = (await res.json()) as ExplorerSettings;
  } catch (err) {
    root.textContent = `The farmtally server at ${location.origin} did not answer (${err instanceof Error ? err.message : String(err)}). Check that it is running, then reload.`;
    return;
  }
  root.textContent = '';
  render(<App settings={settings} />, root);
}

void main();
