// The dataset upload with a progress bar. Without JavaScript the form posts as it is
// (multipart); with it, the file itself is the request body, so that the browser can report
// how much of it has been sent. The server answers JSON: where to go next, or why it refused.
(function () {
  "use strict";

  function setup(form) {
    var input = form.querySelector("input[type=file]");
    var box = form.querySelector("[data-testid=dataset-upload-progress-box]");
    var bar = form.querySelector("[data-testid=dataset-upload-progress]");
    var percent = form.querySelector("[data-testid=dataset-upload-percent]");
    var status = form.querySelector("[data-testid=dataset-upload-status]");
    var button = form.querySelector("[data-testid=dataset-upload-submit]");
    var token = form.querySelector("input[name=csrf_token]");
    var limit = Number(form.getAttribute("data-max-bytes")) || 0;

    function show(value) {
      bar.value = value;
      percent.textContent = value + "%";
    }

    function fail(message) {
      status.textContent = message;
      status.setAttribute("role", "alert");
      button.disabled = false;
    }

    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) {
        return; // the server says what is missing
      }
      event.preventDefault();
      status.removeAttribute("role");
      status.textContent = "";
      if (limit && file.size > limit) {
        fail(form.getAttribute("data-too-large"));
        return;
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-Upload-Filename", encodeURIComponent(file.name));
      if (token) {
        xhr.setRequestHeader("X-CSRFToken", token.value);
      }
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          show(Math.floor((e.loaded / e.total) * 100));
        }
      });
      xhr.upload.addEventListener("load", function () {
        show(100);
        status.textContent = form.getAttribute("data-reading");
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch (ignored) {
          body = {};
        }
        if (xhr.status >= 200 && xhr.status < 300 && body.redirect) {
          window.location.assign(body.redirect);
        } else {
          fail(body.detail || form.getAttribute("data-failed"));
        }
      });
      xhr.addEventListener("error", function () {
        fail(form.getAttribute("data-failed"));
      });
      box.hidden = false;
      button.disabled = true;
      show(0);
      xhr.send(file);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-dataset-upload]");
    for (var i = 0; i < forms.length; i += 1) {
      setup(forms[i]);
    }
  });
})();
