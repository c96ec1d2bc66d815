// Placeholder until the server's endpoints for this page exist; it renders and is tested.
Component({
  data: {},
  methods: {
    onLoad() {},
  },
});
