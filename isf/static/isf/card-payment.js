// The card form on the pay page: Stripe's card element, confirmed against the PaymentIntent whose
// client secret the page carries. The platform records the payment only from Stripe's webhook;
// this script just reloads the page so it shows the outcome.
(function () {
  "use strict";
  var form = document.getElementById("card-payment-form");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("card-submit");

  function showError(message) {
    errors.textContent = message;
    errors.hidden = false;
    document.getElementById("card-group").classList.add("govuk-form-group--error");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    stripe.confirmCardPayment(form.dataset.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        showError(result.error.message || "Your card was not accepted. Check the details and try again.");
        button.disabled = false;
        return;
      }
      window.location.reload();
    });
  });
})();
