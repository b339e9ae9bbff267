// Sends the signed checkout form on to the payment provider at once; without JavaScript the reader presses the button.
document.getElementById('provider-form').submit();
