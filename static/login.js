// The staff login form: POST /auth/login as JSON, then on to the explorer.
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
  });
  if (response.ok) {
    window.location.assign("/graphiql");
    return;
  }
  const body = await response.json().catch(() => ({}));
  document.getElementById("error").textContent = body.errors?.[0]?.message ?? `Login failed (${response.status}).`;
});
