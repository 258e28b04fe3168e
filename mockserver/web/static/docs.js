// Starts Swagger UI on /docs from the page's data- attributes (no inline script, so the
// page's Content-Security-Policy can forbid inline scripts), and signs in with an API key
// and secret the way the real API's clients do.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  var scheme = root.dataset.scheme;
  var token = root.dataset.token;
  var ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the default validator is an online service: stay offline
    tryItOutEnabled: false,
    onComplete: function () {
      if (scheme && token) {
        ui.preauthorizeApiKey(scheme, token);
      }
    },
  });
  window.ui = ui;
  var form = document.getElementById("sign-in");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      signIn(form, ui, scheme);
    });
  }
});

// POST the documented token request; on success, "Try it out" sends the token it returns.
function signIn(form, ui, scheme) {
  var result = form.elements.result;
  var basic = btoa(form.elements.key.value + ":" + form.elements.secret.value);
  fetch("/auth/oauth/v1/token", {
    method: "POST",
    headers: {"Authorization": "Basic " + basic, "Content-Type": "application/json"},
    body: JSON.stringify({scope: "openid", grant_type: "client_credentials"}),
  })
    .then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    })
    .then(function (answer) {
      if (!answer.ok) {
        result.value = "Refused: " + answer.body.error + " (" + answer.body.error_description + ")";
        return;
      }
      ui.preauthorizeApiKey(scheme, answer.body.access_token);
      result.value = "Signed in as " + form.elements.key.value + ": the token lives " +
        answer.body.expires_in + " s.";
    })
    .catch(function (error) { result.value = "Failed: " + error; });
}
