// orgreg console: plain JavaScript over the native /v1 API, with the signed-in user's
// own token (kept in sessionStorage, so it ends with the browser tab). No framework, no
// build step, no inline script; every text from the API is set as text, never as HTML.
'use strict';

const TOKEN = 'orgreg.token';
const USER = 'orgreg.user';
const ROLES = ['owner', 'admin', 'contributor', 'accounting', 'viewer'];
const PAGE_SIZE = 20;
const app = document.getElementById('app');

// ---- the API ----

class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || 'The request failed (' + status + ').');
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  if (!path.startsWith('/v1/')) throw new Error('the console calls /v1 only');
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = 'Bearer ' + token;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { detail: 'The registry could not be reached.' });
  }
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch (e) { data = null; }
  }
  if (!r.ok) {
    if (r.status === 401 && token && path !== '/v1/auth/login') {
      forget();
      go('#/login');
    }
    throw new ApiError(r.status, data);
  }
  return data;
}

const enc = encodeURIComponent;

// ---- building the page ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(...nodes) {
  app.replaceChildren(...nodes);
}

function field(label, name, attrs, hint) {
  const id = 'f-' + name + '-' + Math.random().toString(36).slice(2, 7);
  return h('div', { class: 'field' + (attrs && attrs.grow ? ' grow' : '') },
    h('label', { for: id }, label),
    h('input', Object.assign({ id, name }, attrs, { grow: undefined })),
    hint ? h('div', { class: 'hint' }, hint) : null);
}

function roleSelect(name, value, attrs) {
  return h('select', Object.assign({ name }, attrs),
    ROLES.map((r) => h('option', { value: r, selected: r === value }, r)));
}

function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  return isNaN(d) ? ts : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function badge(text) {
  return h('span', { class: 'badge ' + text }, text);
}

// Errors from the API beside the fields they name (problem+json `errors`), the rest on top.
function clearErrors(form) {
  form.querySelectorAll('.field-error, .notice').forEach((e) => e.remove());
  form.querySelectorAll('.invalid').forEach((e) => e.classList.remove('invalid'));
}

function showErrors(form, err) {
  clearErrors(form);
  const rest = [];
  const errors = (err.body && err.body.errors) || {};
  for (const [name, messages] of Object.entries(errors)) {
    const text = [].concat(messages).join(' ');
    const input = form.querySelector('[name="' + CSS.escape(name) + '"]');
    if (input) {
      input.classList.add('invalid');
      input.setAttribute('aria-invalid', 'true');
      input.after(h('div', { class: 'field-error', 'data-field': name }, text));
    } else {
      rest.push(name + ': ' + text);
    }
  }
  if (rest.length || !Object.keys(errors).length) {
    form.prepend(h('div', { class: 'notice error', role: 'alert' },
      rest.length ? rest.join(' ') : err.message));
  }
}

function failure(err) {
  return h('div', { class: 'notice error', role: 'alert' }, err.message);
}

// A button that asks once more before doing something destructive.
function confirmButton(label, armedLabel, action) {
  const b = h('button', { type: 'button', class: 'small danger' }, label);
  b.addEventListener('click', async () => {
    if (!b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = armedLabel;
      setTimeout(() => { b.classList.remove('armed'); b.textContent = label; }, 4000);
      return;
    }
    b.disabled = true;
    await action();
  });
  return b;
}

// Runs `fn` on submit, with the button disabled and errors shown beside the fields.
function onSubmit(form, fn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    clearErrors(form);
    try {
      await fn(new FormData(form));
    } catch (err) {
      if (err instanceof ApiError) showErrors(form, err);
      else throw err;
    } finally {
      if (button) button.disabled = false;
    }
  });
  return form;
}

// ---- session ----

function me() {
  try { return JSON.parse(sessionStorage.getItem(USER) || 'null'); } catch (e) { return null; }
}

function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}

// Signing out revokes the login token (found among the caller's tokens by its prefix),
// then forgets it; if revoking fails the token is still forgotten here.
async function signOut() {
  const token = sessionStorage.getItem(TOKEN);
  try {
    const tokens = await api('GET', '/v1/tokens?page_size=200');
    const mine = (tokens.results || []).find((t) => t.prefix && token.startsWith(t.prefix));
    if (mine) await api('DELETE', '/v1/tokens/' + enc(mine.id));
  } catch (e) { /* forgotten below in any case */ }
  forget();
  go('#/login');
  showNotice('You are signed out.');
}

let pendingNotice = null;
function showNotice(text) { pendingNotice = text; }

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- pages ----

function loginPage() {
  const form = onSubmit(h('form', { id: 'login-form', novalidate: true },
    field('Username', 'username', { autocomplete: 'username', required: true, autofocus: true }),
    field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit', class: 'wide' }, 'Sign in')),
  async (fd) => {
    const r = await api('POST', '/v1/auth/login', {
      username: fd.get('username'), password: fd.get('password'),
    });
    sessionStorage.setItem(TOKEN, r.token);
    sessionStorage.setItem(USER, JSON.stringify(r.user));
    go('#/orgs');
  });
  const notice = pendingNotice ? h('div', { class: 'notice ok' }, pendingNotice) : null;
  pendingNotice = null;
  show(h('div', { class: 'login' },
    h('h1', {}, 'orgreg console'),
    h('p', { class: 'sub' }, 'Sign in with your registry account.'),
    notice,
    h('div', { class: 'panel' }, form)));
}

async function orgsPage(params) {
  const search = params.get('search') || '';
  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  const searchForm = h('form', { class: 'toolbar', id: 'search-form', role: 'search' },
    h('input', { name: 'search', type: 'search', value: search, placeholder: 'Search organizations by name…', 'aria-label': 'Search organizations', class: 'grow' }),
    h('button', { type: 'submit', class: 'secondary' }, 'Search'),
    h('a', { href: '#/new' }, h('button', { type: 'button' }, 'New organization')));
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = new FormData(searchForm).get('search').trim();
    go('#/orgs' + (s ? '?search=' + enc(s) : ''));
  });
  const head = [h('h1', {}, 'Organizations'),
    h('p', { class: 'sub' }, 'The organizations you can see with your account.'), searchForm];
  show(...head, h('p', { class: 'sub' }, 'Loading…'));
  let data;
  try {
    const q = '?page=' + page + '&page_size=' + PAGE_SIZE + '&order_by=name' + (search ? '&search=' + enc(search) : '');
    data = await api('GET', '/v1/organizations' + q);
  } catch (err) {
    show(...head, failure(err));
    return;
  }
  const rows = data.results.map((o) => h('tr', { 'data-id': o.id },
    h('td', {}, h('a', { href: '#/orgs/' + o.id }, o.name)),
    h('td', {}, o.abbreviation || '—'),
    h('td', {}, String(o.member_count)),
    h('td', {}, when(o.created))));
  const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
  const link = (p) => '#/orgs?' + (search ? 'search=' + enc(search) + '&' : '') + 'page=' + p;
  const pager = h('div', { class: 'pager' },
    h('span', { id: 'org-count' }, data.count + (data.count === 1 ? ' organization' : ' organizations') + ' · page ' + page + ' of ' + pages),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'secondary small', id: 'prev-page', disabled: !data.previous, onclick: () => go(link(page - 1)) }, '← Previous'),
      h('button', { type: 'button', class: 'secondary small', id: 'next-page', disabled: !data.next, onclick: () => go(link(page + 1)) }, 'Next →')));
  show(...head,
    h('div', { class: 'table-wrap' }, h('table', { id: 'orgs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Abbreviation'), h('th', {}, 'Members'), h('th', {}, 'Created'))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 4, class: 'empty' }, search ? 'No organization matches “' + search + '”.' : 'No organizations yet.'))))),
    pager);
}

function newOrgPage() {
  const form = onSubmit(h('form', { id: 'org-form', novalidate: true },
    field('Name', 'name', { required: true, autofocus: true, maxlength: 150 }),
    h('div', { class: 'grid2' },
      field('Abbreviation', 'abbreviation', { maxlength: 50 }, 'Optional; unique.'),
      field('Currency', 'currency_code', { maxlength: 3, placeholder: 'EUR' }, 'Optional; a 3-letter code.')),
    h('div', { class: 'field' },
      h('label', { for: 'f-description' }, 'Description'),
      h('textarea', { id: 'f-description', name: 'description', rows: 3 })),
    h('button', { type: 'submit' }, 'Create organization')),
  async (fd) => {
    const body = { name: fd.get('name') };
    for (const k of ['abbreviation', 'currency_code', 'description']) {
      const v = fd.get(k).trim();
      if (v) body[k] = v;
    }
    const o = await api('POST', '/v1/organizations', body);
    go('#/orgs/' + o.id);
  });
  show(h('h1', {}, 'New organization'),
    h('p', { class: 'sub' }, 'You become its owner.'),
    h('div', { class: 'panel' }, form));
}

async function orgPage(id, tab) {
  let org;
  try {
    org = await api('GET', '/v1/organizations/' + enc(id));
  } catch (err) {
    show(h('h1', {}, 'Organization'), failure(err));
    return;
  }
  const tabs = [['members', 'Members'], ['invitations', 'Invitations'], ['activity', 'Audit trail']];
  const body = h('div', { id: 'tab-body' }, h('p', { class: 'sub' }, 'Loading…'));
  show(
    h('p', { class: 'sub' }, h('a', { href: '#/orgs' }, '← Organizations')),
    h('div', { class: 'org-head' },
      h('div', {},
        h('h1', { id: 'org-name' }, org.name),
        h('p', { class: 'sub' }, org.description || 'No description.')),
      h('div', { class: 'facts' },
        h('span', {}, h('b', {}, String(org.member_count)), org.member_count === 1 ? ' member' : ' members'),
        org.abbreviation ? h('span', {}, h('b', {}, org.abbreviation)) : null,
        h('span', { class: 'mono' }, org.id))),
    h('nav', { class: 'tabs', 'aria-label': 'Organization sections' },
      tabs.map(([k, label]) => h('a', { href: '#/orgs/' + id + '/' + k, id: 'tab-' + k, class: k === tab ? 'current' : '' }, label))),
    body);
  const render = { members: membersTab, invitations: invitationsTab, activity: activityTab }[tab] || membersTab;
  await render(org, body);
}

async function membersTab(org, body) {
  const base = '/v1/organizations/' + enc(org.id) + '/members';
  let data;
  try {
    data = await api('GET', base + '?page_size=200');
  } catch (err) {
    body.replaceChildren(failure(err));
    return;
  }
  const status = h('div', { id: 'members-status' });
  const reload = () => membersTab(org, body);
  const act = async (fn) => {
    try { await fn(); await reload(); } catch (err) { status.replaceChildren(failure(err)); }
  };
  const rows = data.results.map((m) => {
    const saved = h('span', { class: 'saved' });
    const select = roleSelect('role', m.role, { 'aria-label': 'Role of ' + m.username, 'data-user': m.username });
    select.addEventListener('change', async () => {
      select.disabled = true;
      try {
        await api('PATCH', base + '/' + enc(m.user), { role: select.value });
        saved.textContent = 'Saved';
        status.replaceChildren();
      } catch (err) {
        select.value = m.role;
        status.replaceChildren(failure(err));
      } finally {
        select.disabled = false;
      }
    });
    const actions = [];
    if (m.status === 'pending') {
      actions.push(h('button', { type: 'button', class: 'small', onclick: () => act(() => api('POST', base + '/' + enc(m.user) + '/approve', {})) }, 'Approve'));
      actions.push(h('button', { type: 'button', class: 'small secondary', onclick: () => act(() => api('POST', base + '/' + enc(m.user) + '/reject', {})) }, 'Reject'));
    }
    actions.push(confirmButton('Remove', 'Confirm remove', () => act(() => api('DELETE', base + '/' + enc(m.user)))));
    return h('tr', { 'data-user': m.username },
      h('td', {}, h('b', {}, m.username)),
      h('td', {}, select, saved),
      h('td', {}, badge(m.status), m.is_active ? null : ' ', m.is_active ? null : badge('inactive')),
      h('td', {}, when(m.created)),
      h('td', { class: 'actions' }, actions));
  });
  body.replaceChildren(
    h('h2', {}, 'Members'),
    status,
    h('div', { class: 'table-wrap' }, h('table', { id: 'members' },
      h('thead', {}, h('tr', {}, h('th', {}, 'User'), h('th', {}, 'Role'), h('th', {}, 'Status'), h('th', {}, 'Since'), h('th', {}, ''))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No members.'))))),
    h('p', { class: 'hint' }, data.count + ' memberships. Changing a role saves it at once; join requests wait here for approval.'));
}

async function invitationsTab(org, body) {
  const base = '/v1/organizations/' + enc(org.id) + '/invitations';
  const status = h('div', { id: 'invitations-status' });
  const reload = () => invitationsTab(org, body);
  const form = onSubmit(h('form', { class: 'inline-form', id: 'invite-form', novalidate: true },
    field('Email', 'email', { type: 'email', required: true, grow: true, placeholder: 'name@example.com' }),
    h('div', { class: 'field' }, h('label', { for: 'f-invite-role' }, 'Role'), roleSelect('role', 'viewer', { id: 'f-invite-role' })),
    h('button', { type: 'submit' }, 'Invite')),
  async (fd) => {
    await api('POST', base, { email: fd.get('email').trim(), role: fd.get('role') });
    await reload();
    document.getElementById('invitations-status').replaceChildren(
      h('div', { class: 'notice ok' }, 'Invitation sent to ' + fd.get('email').trim() + '.'));
  });
  let data;
  try {
    data = await api('GET', base + '?page_size=200');
  } catch (err) {
    body.replaceChildren(h('h2', {}, 'Invitations'), failure(err));
    return;
  }
  const act = async (fn, done) => {
    try {
      await fn();
      await reload();
      if (done) document.getElementById('invitations-status').replaceChildren(h('div', { class: 'notice ok' }, done));
    } catch (err) { status.replaceChildren(failure(err)); }
  };
  const rows = data.results.map((i) => h('tr', { 'data-email': i.email },
    h('td', {}, i.email),
    h('td', {}, i.role),
    h('td', {}, badge(i.status)),
    h('td', {}, when(i.expires)),
    h('td', { class: 'actions' }, i.status === 'open' ? [
      h('button', { type: 'button', class: 'small secondary', onclick: () => act(() => api('POST', base + '/' + enc(i.id) + '/resend', {}), 'Invitation to ' + i.email + ' sent again.') }, 'Resend'),
      confirmButton('Revoke', 'Confirm revoke', () => act(() => api('DELETE', base + '/' + enc(i.id)), 'Invitation to ' + i.email + ' revoked.')),
    ] : [])));
  body.replaceChildren(
    h('h2', {}, 'Invitations'),
    status,
    h('div', { class: 'panel' }, form),
    h('div', { class: 'table-wrap' }, h('table', { id: 'invitations' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', {}, 'Status'), h('th', {}, 'Expires'), h('th', {}, ''))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No invitations.'))))));
}

// `{field: [before, after]}` (or `{from, to}`) as "field: before → after"; a field that
// was only set shows its value, user ids show as usernames where known.
function describeChanges(changes, name) {
  if (!changes || typeof changes !== 'object') return '';
  const fmt = (k, v) => {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'object') return JSON.stringify(v);
    if ((k === 'user' || k === 'actor' || k === 'owner') && name(v)) return name(v);
    return String(v);
  };
  const parts = [];
  for (const [k, v] of Object.entries(changes)) {
    let pair = null;
    if (Array.isArray(v) && v.length === 2) pair = v;
    else if (v && typeof v === 'object' && ('from' in v || 'to' in v)) pair = [v.from, v.to];
    else if (v && typeof v === 'object' && ('old' in v || 'new' in v)) pair = [v.old, v.new];
    const blank = (x) => x === '' || x === null || (x && typeof x === 'object' && !Object.keys(x).length);
    // A field created empty says nothing.
    if ((pair && pair[0] == null && blank(pair[1])) || (!pair && blank(v))) continue;
    let text;
    if (!pair) text = fmt(k, v);
    else if (pair[0] === null || pair[0] === undefined) text = fmt(k, pair[1]);
    else text = fmt(k, pair[0]) + ' → ' + fmt(k, pair[1]);
    parts.push(h('span', {}, h('b', {}, k), ': ' + text));
  }
  return parts.flatMap((p, i) => (i ? ['; ', p] : [p]));
}

async function activityTab(org, body) {
  const oid = enc(org.id);
  let data, members;
  try {
    [data, members] = await Promise.all([
      api('GET', '/v1/organizations/' + oid + '/activity?page_size=100'),
      api('GET', '/v1/organizations/' + oid + '/members?page_size=200').catch(() => ({ results: [] })),
    ]);
  } catch (err) {
    body.replaceChildren(h('h2', {}, 'Audit trail'), failure(err));
    return;
  }
  const names = new Map(members.results.map((m) => [m.user, m.username]));
  const self = me();
  if (self) names.set(self.id, self.username);
  // Users no longer members (or never): their names as far as the API shows them.
  const unknown = new Set();
  for (const a of data.results) {
    for (const id of [a.actor, a.changes && a.changes.user].flat()) {
      if (typeof id === 'string' && /^[0-9a-f-]{32,36}$/.test(id) && !names.has(id)) unknown.add(id);
    }
  }
  await Promise.all([...unknown].slice(0, 25).map((id) => api('GET', '/v1/users/' + enc(id))
    .then((u) => names.set(id, u.username)).catch(() => null)));
  const who = (id) => (id ? names.get(id) || id.slice(0, 8) + '…' : 'system');
  const rows = data.results.map((a) => h('tr', {},
    h('td', { class: 'nowrap' }, when(a.at)),
    h('td', {}, who(a.actor)),
    h('td', {}, h('span', { class: 'mono' }, a.action)),
    h('td', {}, a.object_type),
    h('td', { class: 'changes' }, describeChanges(a.changes, (id) => names.get(id)))));
  body.replaceChildren(
    h('h2', {}, 'Audit trail'),
    h('p', { class: 'sub' }, 'Every change to this organization, newest first.'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'activity' },
      h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'), h('th', {}, 'Object'), h('th', {}, 'Changes'))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'Nothing yet.'))))));
}

// ---- routing ----

function chrome(signedIn, current) {
  document.getElementById('topbar').hidden = !signedIn;
  const u = me();
  document.getElementById('whoami').textContent = u ? 'Signed in as ' + u.username + (u.is_staff ? ' (staff)' : '') : '';
  document.getElementById('nav-orgs').className = current === 'orgs' ? 'current' : '';
  document.getElementById('nav-new').className = current === 'new' ? 'current' : '';
}

async function route() {
  const hash = location.hash.replace(/^#/, '') || '/orgs';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  const signedIn = !!sessionStorage.getItem(TOKEN);
  if (!signedIn || parts[0] === 'login') {
    if (signedIn) { go('#/orgs'); return; }
    chrome(false);
    document.title = 'Sign in · orgreg console';
    loginPage();
    return;
  }
  if (parts[0] === 'new') {
    chrome(true, 'new');
    document.title = 'New organization · orgreg console';
    newOrgPage();
  } else if (parts[0] === 'orgs' && parts[1]) {
    chrome(true, 'orgs');
    document.title = 'Organization · orgreg console';
    await orgPage(decodeURIComponent(parts[1]), parts[2] || 'members');
  } else {
    chrome(true, 'orgs');
    document.title = 'Organizations · orgreg console';
    await orgsPage(params);
  }
}

document.getElementById('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
route();
