// Loading, error (with 重试) and empty states, the same on every page.
Component({
  properties: {
    loading: { type: Boolean, value: false },
    error: { type: String, value: '' },
    retry: { type: Boolean, value: true },
    empty: { type: String, value: '' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry');
    },
  },
});
