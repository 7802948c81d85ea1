// The listing editor's plan fields follow the pricing model: each field wrapped in an element
// with data-plan-models="one_time membership" shows only while its plan's model is one of them.
// Without JavaScript every field shows, each with a hint saying which models it is for.
document.querySelectorAll(".plan-form").forEach((plan) => {
  const model = plan.querySelector("select[name$='-model']");
  if (!model) return;
  const follow = () => {
    plan.querySelectorAll("[data-plan-models]").forEach((field) => {
      // No model chosen yet: every field shows, as it does without JavaScript.
      const shown = !model.value || field.dataset.planModels.split(" ").includes(model.value);
      field.hidden = !shown;
      field.querySelectorAll("input, select, textarea").forEach((input) => {
        input.disabled = !shown; // a hidden field is not sent, so it cannot be left stale
      });
    });
  };
  model.addEventListener("change", follow);
  follow();
});
