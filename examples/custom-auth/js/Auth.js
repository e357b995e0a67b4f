// Sign-in, refresh and logout for the custom-auth guide. Unlike the guide's snippets, every
// failure is handled: a failed sign-in shows the provider's message, a failed refresh ends
// the session and returns to the login page.
export default {
  async signin() {
    try {
      const data = await sign_in.run();
      await storeValue('accesstoken', data.access_token);
      await storeValue('refreshtoken', data.refresh_token);
      await navigateTo('Dashboard');
    } catch (error) {
      showAlert(error.message, 'error');
    }
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

  // Run on LoginPage's load: someone who is still signed in goes straight to the dashboard.
  async redirectIfSignedIn() {
    if (appsmith.store.refreshtoken) {
      await navigateTo('Dashboard');
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
