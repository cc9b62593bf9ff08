/**
 * The token of an emailed invitation link (`/invitations/accept#token=…`). The fragment is
 * never sent to a server, but the sign-in redirect keeps only the path; so at start-up the
 * token moves from the fragment into this tab's sessionStorage (and out of the address bar),
 * and the accept page reads it from there after sign-in.
 */
const KEY = 'tf_invitation_token'

/** Moves a `#token=…` on `/invitations/accept` into sessionStorage; call once at start-up. */
export function captureInvitationToken(): void {
  if (location.pathname !== '/invitations/accept') return
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token')
  if (!token) return
  sessionStorage.setItem(KEY, token)
  history.replaceState(history.state, '', location.pathname)
}

/** The captured token, or null. */
export function storedInvitationToken(): string | null {
  return sessionStorage.getItem(KEY)
}

/** Forgets the captured token (after it was used). */
export function clearInvitationToken(): void {
  sessionStorage.removeItem(KEY)
}
