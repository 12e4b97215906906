/** The codec server's one page: log in with the token (a browser session for the Web UI), or see the session and log out. */
export function loginPage(o: { endpoint: string; origins: string[]; expires?: Date; refused?: boolean }): string {
  const body = o.expires
    ? `<p>Logged in until ${o.expires.toISOString()}. In the Temporal Web UI's codec server settings, choose
<em>Use my browser setting</em>, enter <code>${escape(o.endpoint)}</code> and turn on
<em>Include cross-origin credentials</em>: runs then show in clear in this browser.</p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`
    : `${o.refused ? '<p role="alert">That is not the token.</p>' : ''}
<form method="post" action="/login">
<label>Codec server token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>
<p>The token is <code>temporal.encryption.codecServer.token</code> of runway.yml. Logging in lets this browser read
runs in clear in the Web UI${o.origins.length ? ` at ${o.origins.map(escape).join(', ')}` : ''}.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Runway codec server</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}code{background:#eee;padding:0 .2em}</style>
</head><body><h1>Runway codec server</h1>
${body}
</body></html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
