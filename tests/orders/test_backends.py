"""The request's user is read with its seller account and market in one query (issue 13)."""

from orders.backends import AccountModelBackend


def test_a_sellers_account_and_market_come_with_the_user(seller, seller_account, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = AccountModelBackend().get_user(seller.pk)
        assert user == seller and user.username == "seller" and user.check_password is not None
        assert user.seller_account == seller_account
        assert user.seller_account.market.code == seller_account.market.code
        assert user.seller_account.user is user
        assert user.seller_account.display_name == "Seller shop"


def test_a_buyer_has_no_seller_account_without_another_query(buyer, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = AccountModelBackend().get_user(buyer.pk)
        assert user == buyer
        assert not hasattr(user, "seller_account")


def test_unknown_inactive_and_malformed_ids_give_no_user(buyer):
    backend = AccountModelBackend()
    assert backend.get_user(buyer.pk + 1000) is None
    assert backend.get_user("not a number") is None
    buyer.is_active = False
    buyer.save()
    assert backend.get_user(buyer.pk) is None


def test_a_signed_in_seller_page_reads_the_account_once(client, seller):
    client.force_login(seller)
    response = client.get("/seller/discussions/")
    assert response.status_code == 200
    assert response.wsgi_request.user.seller_account.display_name == "Seller shop"
