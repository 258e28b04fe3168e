// Starts Swagger UI on /docs from the page's data- attributes (no inline script, so the
// page's Content-Security-Policy can forbid inline scripts).
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
});
