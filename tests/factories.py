"""factory_boy factories: one per model, with the policy's ordinary case as default."""

import io
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.models import User
from returns.conf import store_today
from returns.models import Order, OrderLine
from returns.roles import ensure_roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    full_name = factory.Faker("name")
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True
    email = factory.Sequence(lambda n: f"staff{n}@alotrop.com")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            # Transactional tests flush the groups the migration made; make them again.
            ensure_roles(Group, Permission)
            obj.groups.add(Group.objects.get(name=extracted))


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    # Far from the numbers tests write by hand ("100234", "1001"): the sequence runs across the whole
    # session, and at 100000 + 234 a factory order took the fixture's number (an IntegrityError that
    # came and went with how many tests ran before).
    number = factory.Sequence(lambda n: f"{700000 + n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    customer_name = factory.Faker("name")
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=12))
    delivered_on = factory.LazyFunction(lambda: store_today() - timedelta(days=7))
    currency = "USD"
    shipping_charged = Decimal("5.99")
    free_shipping = False
    payment_method = "Visa ending 4242"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    quantity = 1
    unit_price = Decimal("20.00")
    unit_tax = Decimal("1.60")


def jpeg_bytes(size=(64, 48), color=(200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def jpeg_file(name="photo.jpg", **kwargs) -> ContentFile:
    return ContentFile(jpeg_bytes(**kwargs), name=name)


def pending_photo(order_line, kind="issue", name="photo.jpg", *, owner="test-session", user=None, **kwargs):
    """A photo uploaded for ``order_line`` and kept for the form, as the upload view makes it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from returns.services import images, photos

    processed = images.process_photo(upload=SimpleUploadedFile(name, jpeg_bytes(**kwargs)), kind=kind)
    return photos.pending_photo_create(order_line=order_line, owner=owner, user=user, photo=processed)
