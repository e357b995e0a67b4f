// Sign-in and logout for the guide's app in session mode. The app never sees a token: the
// server keeps them and the browser holds only an HttpOnly cookie, so nothing here stores one
// and the Dashboard needs no refresh step (the server refreshes before the token expires).
export default {
  async signin() {
    try {
      // The answer comes without its tokens; a 2xx answer has started the session.
      await sign_in.run();
      await navigateTo(this.nextPage());
    } catch (error) {
      showAlert(error.message, 'error');
    }
  },

  // Where to go after signing in: the protected page that sent the visitor here (the server
  // adds ?next=<page>), if it is one of this app's, else the dashboard. Never a URL from the
  // address bar: that would let a link send a signed-in user to another site.
  nextPage() {
    const next = appsmith.URL.queryParams.next;
    return ['Dashboard'].includes(next) ? next : 'Dashboard';
  },

  // Run on LoginPage's load: someone whose session is still alive goes straight on. The
  // refresh asks the provider whether the session still stands: if it was revoked there, the
  // server ends it here too and appsmith.user turns anonymous. Without a session it fails (401),
  // which only means there is nobody to send on.
  async redirectIfSignedIn() {
    try {
      await refreshAPI.run();
    } catch (error) {
      // No session, or one the provider no longer accepts: stay on the login page.
    }
    if (!appsmith.user.isAnonymous) {
      await navigateTo(this.nextPage());
    }
  },

  async logout() {
    try {
      await revokeAPI.run();
    } catch (error) {
      // The session may already be over at the provider; the server ends it here anyway.
    }
    await navigateTo('LoginPage');
  },
};
