// streamcore's demo web player (served by `streamcore serve --demo` at /).
//
// Log in, list the movies one may watch, play one through a signed playback URL. A plain ES
// module with no dependency; every URL is relative, so every request goes to the server that
// served the page (its Content-Security-Policy allows no other host).
//
// The bearer token lives in sessionStorage (decision 195): it survives a reload of this tab,
// goes when the tab closes or on logout, and is only ever sent in the Authorization header of
// fetch calls, never in a URL. The <video> gets a playback URL instead (SPEC §3.5), which plays
// one movie for this user until it expires, with no header.

const TOKEN_KEY = "streamcore.session";
const PAGE_SIZE = 10;
const LARGEST_PAGE = 100; // the API's largest limit: the genre list reads every movie once
const SOURCES = {
  mine: "api/me/movie",
  all: "api/movie",
};

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  user: null,
  source: "mine",
  genre: "",
  offset: 0,
  total: 0,
  movies: new Map(),
  playing: null, // the movie in the player
  renewed: false, // whether the playback URL was already asked again after a media error
};

/** A failed API call: the HTTP status (0: no answer) and the problem's human detail. */
class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, { method = "GET", body, auth = true } = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && state.token) headers.Authorization = `Bearer ${state.token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit", // the API reads no cookie; send none
    });
  } catch {
    throw new ApiError(0, "the server does not answer (is streamcore serve still running?)");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = typeof data?.detail === "string" ? data.detail : "";
    throw new ApiError(response.status, detail || `the server answered ${response.status}`);
  }
  return data;
}

// --- session -------------------------------------------------------------------------------

function remember(login) {
  state.token = login.access_token;
  state.user = login.user;
  const saved = { token: login.access_token, expires_at: login.expires_at };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(saved));
}

function forget() {
  state.token = null;
  state.user = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

function savedToken() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? "null");
    if (saved && typeof saved.token === "string" && Date.parse(saved.expires_at) > Date.now()) {
      return saved.token;
    }
  } catch {
    // Not ours or damaged: start from the login form.
  }
  sessionStorage.removeItem(TOKEN_KEY);
  return null;
}

/** After a 401 the token is gone (expired, revoked): back to the login form. True if so. */
function sessionEnded(error) {
  if (!(error instanceof ApiError) || error.status !== 401) return false;
  stopVideo();
  forget();
  showLogin(`Your session has ended (${error.message}). Please log in again.`);
  return true;
}

async function start() {
  bind();
  const token = savedToken();
  if (!token) {
    showLogin();
    return;
  }
  state.token = token;
  try {
    state.user = await api("api/auth/me");
  } catch (error) {
    if (!sessionEnded(error)) showLogin(`Could not restore your session: ${error.message}.`);
    return;
  }
  await showLibrary();
}

async function logIn(event) {
  event.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  if (!email || !password) {
    showLoginError("Enter your email and your password.");
    return;
  }
  const button = $("login-button");
  button.disabled = true;
  $("login-error").hidden = true;
  try {
    remember(
      await api("api/auth/login", { method: "POST", body: { email, password }, auth: false }),
    );
  } catch (error) {
    showLoginError(`Could not log in: ${error.message}.`);
    return;
  } finally {
    button.disabled = false;
  }
  $("password").value = "";
  await showLibrary();
}

async function logOut() {
  stopVideo();
  try {
    await api("api/auth/logout", { method: "POST" });
  } catch {
    // Revoked, expired or unreachable: the token is dropped here all the same.
  }
  forget();
  showLogin("You are logged out.");
}

// --- views ---------------------------------------------------------------------------------

function showOnly(...ids) {
  for (const id of ["login-view", "library-view", "player-view"]) $(id).hidden = !ids.includes(id);
}

function showLogin(info = "") {
  showOnly("login-view");
  $("session").hidden = true;
  $("login-error").hidden = true;
  const note = $("login-info");
  note.textContent = info;
  note.hidden = !info;
  $("email").focus();
}

function showLoginError(message) {
  const box = $("login-error");
  box.textContent = message;
  box.hidden = false;
  $("password").focus();
}

async function showLibrary() {
  showOnly("library-view");
  $("session").hidden = false;
  $("who").textContent = state.user ? `${state.user.name} (${state.user.email})` : "";
  state.offset = 0;
  $("library-title").focus();
  await loadGenres();
  await loadPage();
}

// --- the list ------------------------------------------------------------------------------

/** Fill the genre filter with every genre of the listing shown (one request per 100 movies). */
async function loadGenres() {
  const genres = new Set();
  let offset = 0;
  let total = 1;
  try {
    while (offset < total) {
      const page = await api(`${SOURCES[state.source]}?limit=${LARGEST_PAGE}&offset=${offset}`);
      for (const movie of page.items) for (const genre of movie.genres) genres.add(genre);
      total = page.total;
      offset += LARGEST_PAGE;
    }
  } catch (error) {
    if (!sessionEnded(error)) setStatus(`Could not read the genres: ${error.message}.`);
    return;
  }
  const select = $("genre");
  const keep = genres.has(state.genre) ? state.genre : "";
  select.replaceChildren(new Option("All genres", ""));
  for (const genre of [...genres].sort()) select.append(new Option(genre, genre));
  select.value = keep;
  state.genre = keep;
}

async function loadPage() {
  const query = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset });
  if (state.genre) query.set("genre", state.genre);
  setStatus("Loading…");
  let page;
  try {
    page = await api(`${SOURCES[state.source]}?${query}`);
  } catch (error) {
    if (!sessionEnded(error)) setStatus(`Could not load the movies: ${error.message}.`);
    return;
  }
  state.total = page.total;
  state.movies = new Map(page.items.map((movie) => [movie.id, movie]));
  $("movies").replaceChildren(...page.items.map(movieItem));
  const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
  const current = Math.floor(state.offset / PAGE_SIZE) + 1;
  $("page-label").textContent = `Page ${current} of ${pages}`;
  $("previous").disabled = state.offset === 0;
  $("next").disabled = state.offset + PAGE_SIZE >= page.total;
  setStatus(page.total ? countText(page.total) : emptyText());
}

function countText(total) {
  const genre = state.genre ? ` of genre ${state.genre}` : "";
  return `${total} ${total === 1 ? "movie" : "movies"}${genre}.`;
}

function emptyText() {
  if (state.genre) return `No movie of genre ${state.genre} here.`;
  if (state.source === "mine") {
    return "No movie to watch yet: none is in a plan you have paid for. " +
      "Choose “The whole catalogue” to see every movie.";
  }
  return "The catalogue is empty.";
}

function setStatus(text) {
  $("library-status").textContent = text;
}

function movieItem(movie) {
  const item = document.createElement("li");
  const text = document.createElement("div");
  const title = document.createElement("h3");
  title.textContent = movie.title;
  const facts = document.createElement("p");
  facts.className = "quiet";
  facts.textContent = [movie.year, movie.genres.join(", ")].filter(Boolean).join(" · ");
  text.append(title, facts);
  const play = document.createElement("button");
  play.type = "button";
  play.textContent = "Play";
  play.dataset.movie = String(movie.id);
  play.setAttribute("aria-label", `Play ${movie.title}`);
  item.append(text, play);
  return item;
}

// --- the player ----------------------------------------------------------------------------

async function play(movie) {
  // Each answer acts only while its movie is still the one in the player: another Play, or
  // Back to the list, pressed before it came back wins (an older answer is dropped).
  stopVideo();
  state.playing = movie;
  state.renewed = false;
  showOnly("player-view", "library-view");
  $("player-message").hidden = true;
  $("now-playing").textContent = `${movie.title} (${movie.year})`;
  $("now-playing").focus();
  try {
    const grant = await api(`api/movie/${movie.id}/playback`, { method: "POST" });
    if (state.playing === movie) startVideo(grant.url, 0);
  } catch (error) {
    if (state.playing === movie && !sessionEnded(error)) refuse(movie, error.message);
  }
}

function startVideo(url, at) {
  const video = $("video");
  video.hidden = false;
  video.src = url; // the browser then asks for byte ranges of it, with no header
  if (at > 0) video.addEventListener("loadedmetadata", () => { video.currentTime = at; }, { once: true });
  video.play().catch(() => {
    // The browser may refuse to start without a click (autoplay policy): the controls remain.
  });
}

function stopVideo() {
  const video = $("video");
  video.pause();
  video.removeAttribute("src");
  video.load(); // lets go of the previous URL and its connection
  video.hidden = true;
}

function refuse(movie, detail) {
  stopVideo();
  const box = $("player-message");
  box.textContent = `“${movie.title}” is not available: ${detail.replace(/[.\s]+$/, "")}.`;
  box.hidden = false;
}

/** A media error: the URL may have expired or been refused; ask once more to learn which. */
async function mediaFailed() {
  const video = $("video");
  const movie = state.playing;
  if (!movie || !video.getAttribute("src")) return;
  const at = video.currentTime;
  if (state.renewed) {
    refuse(movie, "the browser could not read its video");
    return;
  }
  state.renewed = true;
  try {
    const grant = await api(`api/movie/${movie.id}/playback`, { method: "POST" });
    if (state.playing === movie) startVideo(grant.url, at);
  } catch (error) {
    if (state.playing === movie && !sessionEnded(error)) refuse(movie, error.message);
  }
}

function closePlayer() {
  const movie = state.playing;
  stopVideo();
  state.playing = null;
  showOnly("library-view");
  const button = movie && document.querySelector(`button[data-movie="${movie.id}"]`);
  (button ?? $("library-title")).focus();
}

// --- wiring --------------------------------------------------------------------------------

function bind() {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", logOut);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("source").addEventListener("change", async (event) => {
    state.source = event.target.value;
    state.offset = 0;
    await loadGenres();
    await loadPage();
  });
  $("genre").addEventListener("change", async (event) => {
    state.genre = event.target.value;
    state.offset = 0;
    await loadPage();
  });
  $("previous").addEventListener("click", async () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    await loadPage();
  });
  $("next").addEventListener("click", async () => {
    state.offset += PAGE_SIZE;
    await loadPage();
  });
  $("movies").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-movie]");
    const movie = button && state.movies.get(Number(button.dataset.movie));
    if (movie) play(movie);
  });
  $("close-player").addEventListener("click", closePlayer);
  const video = $("video");
  video.addEventListener("error", mediaFailed);
  video.addEventListener("playing", () => { state.renewed = false; });
}

start();
