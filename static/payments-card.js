// Mounts Stripe's card element and confirms the top-up's PaymentIntent in the browser.
// The budget is credited by Stripe's signed webhook, not by this page.
const form = document.getElementById("card-form");

if (form && window.Stripe) {
  const stripe = window.Stripe(form.dataset.key);
  const card = stripe.elements({ locale: "en-GB" }).create("card");
  const error = document.getElementById("card-error");
  const button = document.getElementById("card-pay");
  card.mount("#card-element");

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
    document.getElementById("card-group").classList.toggle("govuk-form-group--error", !!message);
  };
  card.on("change", (event) => showError(event.error ? event.error.message : ""));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    const result = await stripe.confirmCardPayment(form.dataset.secret, {
      payment_method: { card },
    });
    if (result.error) {
      showError(result.error.message);
      button.disabled = false;
      return;
    }
    window.location.assign(form.dataset.return);
  });
}
