// Sign-in and logout in session mode. The app never sees a token: the server keeps them and
// refreshes them itself, so nothing here stores one.
export default {
  async signin() {
    try {
      // The answer comes without its tokens; a 2xx answer has started the session.
      await sign_in.run();
      await navigateTo(this.nextPage());
    } catch (error) {
      // The provider's words, e.g. "Invalid credentials given." for a wrong password.
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

  // Run on LoginPage's load: someone whose session is still alive goes straight on.
  async redirectIfSignedIn() {
    if (!appsmith.user.isAnonymous) {
      await navigateTo(this.nextPage());
    }
  },

  async logout() {
    try {
      await sign_out.run();
    } catch (error) {
      // The provider may refuse (the token expired there already); the server ends the
      // session here anyway.
    }
    await navigateTo('LoginPage');
  },
};
