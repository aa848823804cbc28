"""UX-11: the seller's contact page, its three topics from the help page, and the
request to remove a buyer's rating (one service call, SAFE-01)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.once import Submission, already_done

from . import contact
from .access import seller_account_for
from .forms import RatingRemovalForm

RATING = "rating"


@login_required
def seller_contact(request):
    account = seller_account_for(request.user)
    now = timezone.now()
    form = RatingRemovalForm(initial={"order": request.GET.get("order", "")[:20]})
    if request.method == "POST":
        form = RatingRemovalForm(request.POST)
        once = Submission.of(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sent = contact.request_rating_removal(
                    account, order_number=data["order"], reason=data["reason"], text=data["text"], once=once
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("Your request about order %(number)s was sent. An Allegro employee will look at it.")
                    % {"number": sent.order.number},
                )
                return redirect(reverse("orders:seller_contact") + f"#{RATING}")
        if already_done(request, once):
            return redirect(reverse("orders:seller_contact") + f"#{RATING}")
    return render(
        request,
        "orders/seller_contact.html",
        {
            "form": form,
            "applications": contact.appealable_applications(account),
            "unfinished": contact.unfinished_orders(account, now),
            "rating_requests": contact.rating_requests(account),
            "now": now,
        },
        status=400 if form.errors else 200,
    )
