// The entitlement holder's try-it console: sends the input to the gateway with the API key
// typed into the page (kept only in the field), and shows the answer with its request id and
// remaining quota. A file chosen for an operation that takes one is sent as base64 JSON.
(() => {
  const form = document.getElementById("holder-console");
  if (!form) return;
  const operations = JSON.parse(form.dataset.operations);
  const select = document.getElementById("console-operation");
  const payload = document.getElementById("console-payload");
  const fileField = document.getElementById("console-file-field");
  const fileInput = document.getElementById("console-file");
  const status = document.getElementById("console-status");
  const output = document.getElementById("console-output");

  const chosen = () => operations[select.value];
  const showOperation = () => {
    payload.value = chosen().example;
    fileField.hidden = chosen().files.length === 0;
    fileInput.value = "";
  };
  select.addEventListener("change", showOperation);
  showOperation();

  const readBase64 = (file) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(payload.value || "{}");
    } catch (error) {
      status.textContent = `The input is not valid JSON: ${error.message}`;
      return;
    }
    const file = fileInput.files[0];
    if (file && chosen().files.length) {
      body[chosen().files[0]] = { filename: file.name, content_base64: await readBase64(file) };
    }
    const key = document.getElementById("console-key").value.trim();
    status.textContent = "…";
    const response = await fetch(select.value, {
      method: "POST",
      credentials: "omit", // the key, not the session, identifies the caller
      headers: { "Authorization": `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const parts = [`${response.status} ${response.statusText}`];
    for (const header of ["X-Request-Id", "X-Quota-Remaining", "Retry-After"]) {
      const value = response.headers.get(header);
      if (value !== null) parts.push(`${header}: ${value}`);
    }
    status.textContent = parts.join(" · ");
    const text = await response.text();
    try {
      output.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      output.textContent = text;
    }
  });
})();
