"""Locust's FastHttpUser on GET /health, for comparison with the harness's burst user (HttpUser)."""

from locust import FastHttpUser, constant, task


class HealthUser(FastHttpUser):
    """Requests the health route in a loop without pause; the bench device's certificate is not checked."""

    wait_time = constant(0)
    insecure = True

    @task
    def health(self) -> None:
        self.client.get("/health")
