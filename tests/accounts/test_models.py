import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_email_is_stored_lower_case_and_signs_in_in_any_case(rf):
    User.objects.create_user(email="Ana.Lima@Example.COM", password="pass-word-123")
    assert User.objects.get().email == "ana.lima@example.com"
    sign_in = rf.post("/account/sign-in/")  # every password check goes through the lockout, which needs the request
    assert authenticate(sign_in, username="ANA.LIMA@example.com", password="pass-word-123") is not None
    assert authenticate(sign_in, username="ana.lima@example.com", password="wrong") is None


def test_same_email_in_another_case_is_refused_by_the_database():
    User.objects.create_user(email="ana@example.com", password="x")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="ANA@example.com")])


def test_superuser_is_staff():
    admin = User.objects.create_superuser(email="root@alotrop.com", password="x")
    assert admin.is_staff and admin.is_superuser
    assert str(admin) == "root@alotrop.com"
