import j from "jsqr";
console.log(typeof j, typeof (j as any).default);
