"""Staff's view of orders and returns. Status is never edited here: services move it."""

from django.contrib import admin

from .models import Order, OrderLine, Refund, ReturnLine, ReturnRequest, StatusChange


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("sku", "name", "quantity", "unit_price", "unit_tax", "final_sale", "personalized", "quantity_in_returns")
    readonly_fields = ("quantity_in_returns",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "email", "customer_name", "placed_at", "delivered_on", "currency", "free_shipping")
    list_filter = ("free_shipping", "currency")
    search_fields = ("number", "email", "customer_name")
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline]


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = ("order_line", "quantity", "reason", "description", "preference", "accepted", "fault_confirmed")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ("at", "by", "from_status", "to_status", "event", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ("rma", "order", "status", "created_at", "ship_by")
    list_filter = ("status",)
    search_fields = ("rma", "order__number", "order__email", "tracking_number")
    list_select_related = ("order",)
    readonly_fields = (
        "rma",
        "order",
        "status",
        "submitted_by",
        "return_required",
        "approved_on",
        "ship_by",
        "carrier",
        "tracking_number",
        "rejection_reason",
    )
    fields = readonly_fields
    inlines = [ReturnLineInline, StatusChangeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ("request", "order", "total", "currency", "state", "issued_on", "reference")
    list_filter = ("state",)
    search_fields = ("request__rma", "order__number", "reference")
    list_select_related = ("request", "order")
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
