// A PIN pad for the counter: big digits 0-9, 删除 and 确定, one dot per digit (4 to 6), and
// no system keyboard. The digits live on the instance, never in `data` (which DevTools shows
// and setData copies), and leave only in the `submit` event, after which the pad is empty.

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

Component({
  properties: {
    min: { type: Number, value: 4 },
    max: { type: Number, value: 6 },
    busy: { type: Boolean, value: false },
    hint: { type: String, value: '' },
    error: { type: String, value: '' },
  },
  data: {
    keys: KEYS,
    dots: [],
    count: 0,
    ready: false,
  },
  lifetimes: {
    attached() {
      this.clear();
    },
  },
  methods: {
    show() {
      const count = this.digits.length;
      const dots = [];
      for (let i = 0; i < this.data.max; i += 1) {
        dots.push({ on: i < count, extra: i >= this.data.min });
      }
      this.setData({ dots, count, ready: count >= this.data.min && count <= this.data.max });
    },
    clear() {
      this.digits = '';
      this.show();
    },
    press(e) {
      if (this.data.busy || this.digits.length >= this.data.max) return;
      this.digits += String(e.currentTarget.dataset.key);
      this.show();
      this.triggerEvent('typing', { count: this.digits.length });
    },
    remove() {
      if (this.data.busy || !this.digits.length) return;
      this.digits = this.digits.slice(0, -1);
      this.show();
      this.triggerEvent('typing', { count: this.digits.length });
    },
    submit() {
      if (this.data.busy || !this.data.ready) return;
      const pin = this.digits;
      this.clear();
      this.triggerEvent('submit', { pin });
    },
  },
});
