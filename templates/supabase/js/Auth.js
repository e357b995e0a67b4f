// Sign-in, refresh and logout for the custom-auth guide. Unlike the guide's snippets, every
// failure is handled: a failed sign-in shows the provider's message, a failed refresh ends
// the session and returns to the login page.
export default {
  async signin() {
    try {
      const data = await sign_in.run();
      await storeValue('accesstoken', data.access_token);
      await storeValue('refreshtoken', data.refresh_token);
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

  // Run on the Dashboard's load: swap the stored refresh token for fresh tokens.
  async refreshAccessToken() {
    const refreshToken = appsmith.store.refreshtoken;
    if (!refreshToken) {
      await navigateTo('LoginPage');
      return;
    }
    try {
      const tokens = await refreshAPI.run({ refreshtoken: refreshToken });
      await storeValue('accesstoken', tokens.access_token);
      if (tokens.refresh_token) {
        await storeValue('refreshtoken', tokens.refresh_token);
      }
    } catch (error) {
      await clearStore();
      showAlert('Your session has ended. Please sign in again.', 'warning');
      await navigateTo('LoginPage');
    }
  },

  // Run on LoginPage's load: someone whose session is still alive goes straight on. The
  // tokens are refreshed first: the server opens the Dashboard only for a valid access token,
  // and the stored one may have expired.
  async redirectIfSignedIn() {
    const refreshToken = appsmith.store.refreshtoken;
    if (!refreshToken) {
      return;
    }
    try {
      const tokens = await refreshAPI.run({ refreshtoken: refreshToken });
      await storeValue('accesstoken', tokens.access_token);
      await storeValue('refreshtoken', tokens.refresh_token);
      await navigateTo(this.nextPage());
    } catch (error) {
      await clearStore();
    }
  },

  async logout() {
    try {
      await revokeAPI.run();
    } catch (error) {
      // The session may already be over at the provider; signing out locally still proceeds.
    }
    await clearStore();
    await navigateTo('LoginPage');
  },
};
