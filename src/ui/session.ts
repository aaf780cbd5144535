/**
 * The bearer token lives in the tab's session storage only: gone when the tab closes, never in
 * a URL, a cookie or local storage.
 */
const KEY = 'ara-console-token';

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
